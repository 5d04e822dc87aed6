"""One line per finding (`path:line:col: severity: CODE [slug] message`), and `--statistics` counts per rule."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from exportlint.model import FileResult

_SEVERITIES = ("error", "warning", "info")


def render_concise(results: Sequence[FileResult]) -> str:
    """Unreadable files first (`path[:line:col]: error: why`), then every finding on its own line.

    Columns are 1-based, as editors and ruff count them.
    """
    lines = []
    for r in results:
        if r.error is not None:
            where, why = split_error(r.path, r.error)
            lines.append(f"{where}: error: {_one_line(why)}")
    for result in results:
        for f in result.findings:
            loc = f.location
            lines.append(f"{loc.path}:{loc.line}:{loc.column + 1}: {f.severity}: {f.code} [{f.rule}] "
                         f"{_one_line(f.message)}")
    return "".join(line + "\n" for line in lines)


def split_error(path: str, error: str) -> tuple[str, str]:
    """A file error's location (`path` or `path:line:col`) and its reason, the path said once."""
    if not error.startswith(path + ":"):
        return path, error
    rest = error[len(path) + 1:]
    match = _LINE_COL.match(rest)
    if match is None:
        return path, rest.lstrip()
    return f"{path}:{match.group(1)}", rest[match.end():]


_LINE_COL = re.compile(r"(\d+:\d+): ")


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
        detail = ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in row["by_severity"].items())
        out.append(f"{row['count']:>5}  {row['code']}  {row['rule']:<{width}}  ({detail})")
    return "\n".join(out) + "\n"
