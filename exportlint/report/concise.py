"""One line per finding (`path:line:col: CODE [slug] message`), and `--statistics` counts per rule."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from exportlint.model import FileResult

_SEVERITIES = ("error", "warning", "info")


def render_concise(results: Sequence[FileResult]) -> str:
    """Unreadable files first (`path: error: why`), then every finding on its own line.

    Columns are 1-based, as editors and ruff count them.
    """
    lines = [f"{r.path}: error: {_one_line(r.error)}" for r in results if r.error is not None]
    for result in results:
        for f in result.findings:
            loc = f.location
            lines.append(f"{loc.path}:{loc.line}:{loc.column + 1}: {f.code} [{f.rule}] {_one_line(f.message)}")
    return "".join(line + "\n" for line in lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def statistics(results: Sequence[FileResult]) -> list[dict[str, Any]]:
    """Counts per rule, most frequent first: code, rule, count and count per severity."""
    findings = [f for r in results for f in r.findings]
    totals = Counter((f.code, f.rule) for f in findings)
    by_severity: Counter[tuple[str, str]] = Counter((f.code, f.severity) for f in findings)
    rows = sorted(totals.items(), key=lambda item: (-item[1], item[0][0]))
    return [
        {"code": code, "rule": rule, "count": count,
         "by_severity": {s: by_severity[(code, s)] for s in _SEVERITIES if by_severity[(code, s)]}}
        for (code, rule), count in rows
    ]


def render_statistics(results: Sequence[FileResult], as_json: bool = False) -> str:
    """`--statistics`: the per-rule counts as aligned text, or as a JSON list."""
    rows = statistics(results)
    if as_json:
        return json.dumps(rows, indent=2) + "\n"
    if not rows:
        return "no findings\n"
    width = max(len(r["rule"]) for r in rows)
    out = []
    for row in rows:
        detail = ", ".join(f"{n} {s}" for s, n in row["by_severity"].items())
        out.append(f"{row['count']:>5}  {row['code']}  {row['rule']:<{width}}  ({detail})")
    return "\n".join(out) + "\n"
