"""GitHub Actions workflow commands: one `::error file=…,line=…::message` annotation per finding."""

from __future__ import annotations

from collections.abc import Sequence

from exportlint.model import FileResult, Finding
from exportlint.report.concise import split_error

COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: `%`, CR and LF (the runner decodes them back)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: as data, plus `:` and `,`, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_finding(f: Finding) -> str:
    """One annotation. Columns are 1-based; `endColumn` is the column after the span."""
    loc = f.location
    props = [("file", loc.path), ("line", str(loc.line)), ("col", str(loc.column + 1))]
    if loc.end_line >= loc.line:
        props += [("endLine", str(loc.end_line)), ("endColumn", str(loc.end_column + 1))]
    props.append(("title", f"{f.code} {f.rule}"))
    message = f.message + (f"\nhint: {f.hint}" if f.hint else "")
    fields = ",".join(f"{name}={escape_property(value)}" for name, value in props)
    return f"::{COMMAND.get(f.severity, 'warning')} {fields}::{escape_data(message)}"


def render_github(results: Sequence[FileResult]) -> str:
    """Annotations for unreadable files, then for every finding."""
    lines = [_error_annotation(r.path, r.error) for r in results if r.error is not None]
    lines += [render_finding(f) for r in results for f in r.findings]
    return "".join(line + "\n" for line in lines)


def _error_annotation(path: str, error: str) -> str:
    """`::error file=…[,line=…,col=…],title=exportlint::why` for a file that could not be read."""
    where, why = split_error(path, error)
    props = [("file", path)]
    if where != path:
        line, col = where[len(path) + 1:].split(":")
        props += [("line", line), ("col", col)]
    fields = ",".join(f"{name}={escape_property(value)}" for name, value in (*props, ("title", "exportlint")))
    return f"::error {fields}::{escape_data(why)}"
