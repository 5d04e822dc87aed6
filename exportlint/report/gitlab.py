"""GitLab Code Quality: the JSON list of issues a merge request shows beside the changed lines.

Fingerprints leave the line number out, so a finding keeps its identity when code above it moves;
the n-th identical finding of a file gets the suffix n.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from exportlint.model import FileResult, Finding
from exportlint.report.concise import split_error

# exportlint severity -> Code Quality severity (info, minor, major, critical, blocker).
SEVERITY = {"error": "major", "warning": "minor", "info": "info"}


def render_gitlab(results: Sequence[FileResult]) -> str:
    """Issues for unreadable files, then for every finding."""
    seen: Counter[str] = Counter()
    issues = [_error_issue(r.path, r.error, seen) for r in results if r.error is not None]
    issues += [_issue(f, seen) for r in results for f in r.findings]
    return json.dumps(issues, indent=2) + "\n"


def _issue(f: Finding, seen: Counter[str]) -> dict[str, Any]:
    loc = f.location
    description = f"{f.code} [{f.rule}] {f.message}"
    return {
        "type": "issue",
        "check_name": f"exportlint/{f.rule}",
        "description": description,
        "categories": ["Bug Risk"],
        "severity": SEVERITY.get(f.severity, "minor"),
        "fingerprint": _fingerprint(seen, loc.path, f.code, f.symbol, f.message),
        "location": {"path": loc.path, "positions": {
            "begin": {"line": loc.line, "column": loc.column + 1},
            "end": {"line": loc.end_line, "column": loc.end_column + 1},
        }},
    }


def _error_issue(path: str, error: str, seen: Counter[str]) -> dict[str, Any]:
    where, why = split_error(path, error)
    line = int(where[len(path) + 1:].split(":")[0]) if where != path else 1
    return {
        "type": "issue",
        "check_name": "exportlint/unreadable-file",
        "description": why,
        "categories": ["Bug Risk"],
        "severity": "critical",
        "fingerprint": _fingerprint(seen, path, "unreadable", why),
        "location": {"path": path, "lines": {"begin": line}},
    }


def _fingerprint(seen: Counter[str], *parts: str) -> str:
    key = "\0".join(parts)
    seen[key] += 1
    return hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()
