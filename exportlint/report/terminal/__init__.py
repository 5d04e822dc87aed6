"""The rich terminal report: findings grouped by file with the source span marked, then a summary."""

from __future__ import annotations

import linecache
from collections import Counter
from collections.abc import Sequence
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from exportlint.model import FileResult, Finding

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_ORDER = ("error", "warning", "info")


def make_console(file: IO[str] | None = None, color: bool | None = None, width: int | None = None) -> Console:
    """A console that follows the terminal: no colour when not a TTY or when NO_COLOR is set."""
    return Console(
        file=file,
        highlight=False,
        no_color=None if color is None else not color,
        force_terminal=color if color else None,
        width=width,
        soft_wrap=False,
    )


def render_rich(results: Sequence[FileResult], console: Console, *, verbose: bool = True) -> None:
    """Print every file's findings and errors, then the summary table."""
    for result in results:
        if result.error is not None:
            console.print(Text.assemble(("error: ", "bold red"), result.error), soft_wrap=True)
    for result in results:
        if result.findings:
            _render_file(result, console, verbose)
    render_summary(results, console)


def _render_file(result: FileResult, console: Console, verbose: bool) -> None:
    console.print()
    console.print(Text(result.path, style="bold underline"))
    for finding in result.findings:
        render_finding(finding, console, verbose=verbose)


def render_finding(f: Finding, console: Console, *, verbose: bool = True) -> None:
    """One finding: header, message, marked source line and hint."""
    loc = f.location
    header = Text.assemble(
        (f"  {loc.line}:{loc.column + 1}", "bold"),
        "  ",
        (f"{f.severity:<7}", SEVERITY_STYLE.get(f.severity, "")),
        " ",
        (f.code, "bold"),
        " ",
        (f"[{f.rule}]", "magenta"),
    )
    if f.symbol:
        header.append(f"  {f.symbol}", style="dim")
    if f.verdict:
        header.append(f"  ({f.verdict})", style="green" if f.verdict == "confirmed" else "dim")
    console.print(header)
    if verbose:
        _indented(Text(f.message), console)
    # NOTE: info findings are harmless for export; one message line keeps them from drowning
    # out the warnings and errors.
    if verbose and f.severity != "info":
        _render_source(f, console)
        if f.evidence:
            _indented(Text.assemble(("evidence: ", "dim"), f.evidence), console)
        if f.hint:
            _indented(Text.assemble(("hint: ", "green"), f.hint), console)


def _indented(text: Text, console: Console) -> None:
    for line in text.wrap(console, max(console.width - 4, 20), overflow="fold"):
        line.rstrip()
        console.print(Text("    ") + line, no_wrap=True, overflow="fold")


def _render_source(f: Finding, console: Console) -> None:
    loc = f.location
    line = linecache.getline(loc.path, loc.line).rstrip("\n")
    if not line.strip():
        return
    indent = len(line) - len(line.lstrip())
    shown = line[indent:]
    start = max(loc.column - indent, 0)
    end = loc.end_column - indent if loc.end_line == loc.line and loc.end_column > loc.column else len(shown)
    end = max(min(end, len(shown)), start + 1)
    gutter = f"    {loc.line:>5} │ "
    text = Text(gutter, style="dim")
    text.append(shown[:start])
    text.append(shown[start:end], style="bold " + SEVERITY_STYLE.get(f.severity, ""))
    text.append(shown[end:])
    console.print(text, overflow="ellipsis", no_wrap=True)
    marker = Text(" " * (len(gutter) - 2) + "│ ", style="dim")
    marker.append(" " * start + "^" * (end - start), style=SEVERITY_STYLE.get(f.severity, ""))
    console.print(marker, overflow="ellipsis", no_wrap=True)


def render_summary(results: Sequence[FileResult], console: Console) -> None:
    """A table of findings by rule and severity, and a one-line total."""
    findings = [f for r in results for f in r.findings]
    if findings:
        console.print()
        console.print(_summary_table(findings))
    counts: Counter[str] = Counter(f.severity for f in findings)
    files = sum(1 for r in results if r.error is None)
    bad = sum(1 for r in results if r.error is not None)
    parts = [Text(f"{counts.get(s, 0)} {s}{'s' if s != 'info' and counts.get(s, 0) != 1 else ''}",
                  style=SEVERITY_STYLE[s] if counts.get(s) else "") for s in _ORDER]
    line = Text.assemble(*_join(parts), f" in {files} file{'s' if files != 1 else ''}")
    if bad:
        line.append(f" ({bad} could not be read)", style="bold red")
    console.print(line)


def _summary_table(findings: Sequence[Finding]) -> Table:
    table = Table(title="Findings by rule", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("code")
    table.add_column("rule")
    for sev in _ORDER:
        table.add_column(sev, justify="right", style=SEVERITY_STYLE[sev])
    by_rule: Counter[tuple[str, str, str]] = Counter((f.code, f.rule, f.severity) for f in findings)
    for code, rule in sorted({(f.code, f.rule) for f in findings}):
        table.add_row(code, rule, *(str(by_rule.get((code, rule, s), "")) or "" for s in _ORDER))
    return table


def _join(parts: list[Text]) -> list[Text | str]:
    out: list[Text | str] = []
    for i, p in enumerate(parts):
        if i:
            out.append(", ")
        out.append(p)
    return out


def rules_table(rows: Sequence[tuple[str, str, str]]) -> Table:
    """The `exportlint rules` table: code, slug, summary."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("code", style="bold", no_wrap=True)
    table.add_column("rule", style="magenta", no_wrap=True)
    table.add_column("what it finds")
    for row in rows:
        table.add_row(*row)
    return table
