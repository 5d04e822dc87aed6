"""The rich terminal report: findings grouped by file with the source span marked, then a summary."""

from __future__ import annotations

import linecache
from collections import Counter
from collections.abc import Sequence
from typing import IO

from rich.cells import cell_len, set_cell_size
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from exportlint.entrypoints import display
from exportlint.model import FileResult, Finding

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_ORDER = ("error", "warning", "info")
_MEASURE = Console(width=80, color_system=None, file=None)  # only measures text, never prints


def make_console(file: IO[str] | None = None, color: bool | None = None, width: int | None = None) -> Console:
    """A console that follows the terminal: no colour when not a TTY or when NO_COLOR is set.

    The terminal size is read once: rich would otherwise ask the OS and the environment for it
    on every line printed, which costs more than the rest of a warm scan.
    """
    console = Console(
        file=file,
        highlight=False,
        no_color=None if color is None else not color,
        force_terminal=color if color else None,
        width=width,
        soft_wrap=False,
    )
    console.size = (console.width + console.legacy_windows, console.height)
    return console


def render_rich(results: Sequence[FileResult], console: Console, *, verbose: bool = True, summary: bool = True) -> None:
    """Print every file's findings, then (with `summary`) the summary table.

    The files that could not be read are `render_errors`' business (the scan prints them to stderr).
    """
    for result in results:
        if result.findings:
            _render_file(result, console, verbose)
    if summary:
        render_summary(results, console)


def render_errors(results: Sequence[FileResult], console: Console) -> None:
    """One `error: why` line per file that could not be read."""
    for result in results:
        if result.error is not None:
            console.print(Text.assemble(("error: ", "bold red"), result.error), soft_wrap=True)


def _render_file(result: FileResult, console: Console, verbose: bool) -> None:
    console.print()
    console.print(Text(result.path, style="bold underline"))
    for finding in result.findings:
        render_finding(finding, console, verbose=verbose)


def render_finding(f: Finding, console: Console, *, verbose: bool = True) -> None:
    """One finding: header, message, marked source line and hint (printed in one go)."""
    lines = finding_lines(f, console.width, verbose=verbose)
    if _writes_plain_text(console):
        # NOTE: what rich would print without styles, minus its per-line machinery: a warm
        # scan's report to a pipe (pre-commit, CI) costs a tenth of the time. Tests compare both.
        console.file.write("".join(plain_line(line, console.width, console.tab_size) + "\n" for line in lines))
    else:
        console.print(Group(*lines))


def _writes_plain_text(console: Console) -> bool:
    return console.color_system is None and not console.is_terminal and not console.record


def plain_line(text: Text, width: int, tab_size: int = 8) -> str:
    """One line of `finding_lines` as rich prints it without styles at `width` columns."""
    plain = text.plain
    if "\t" in plain:
        text = text.copy()
        text.expand_tabs(tab_size)
        plain = text.plain
    if (plain.isascii() and len(plain) <= width) or cell_len(plain) <= width:
        return plain
    if text.no_wrap and text.overflow == "ellipsis":
        return set_cell_size(plain, width - 1) + "…"
    return "\n".join(line.plain for line in text.wrap(_MEASURE, width))


def finding_lines(f: Finding, width: int, *, verbose: bool = True) -> list[Text]:
    """The lines of one finding, each a Text that knows how it wraps or cuts."""
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
    lines = [header]
    if verbose:
        lines += _indented(Text(f.message), width)
    # NOTE: info findings are harmless for export; one message line keeps them from drowning
    # out the warnings and errors.
    if verbose and f.severity != "info":
        lines += _source_lines(f)
        if f.evidence:
            lines += _indented(Text.assemble(("evidence: ", "dim"), f.evidence), width)
        if f.hint:
            lines += _indented(Text.assemble(("hint: ", "green"), f.hint), width)
        reached = reached_from(f)
        if reached:
            lines += _indented(Text.assemble(("reached from: ", "dim"), reached), width)
    return lines


_MAX_ENTRY_POINTS = 3


def reached_from(f: Finding) -> str:
    """The entry points a finding is reached from, when other than its own method ("" then)."""
    names = [display(e) for e in f.entry_points]
    if not names or names == [f.symbol]:
        return ""
    more = len(names) - _MAX_ENTRY_POINTS
    return ", ".join(names[:_MAX_ENTRY_POINTS]) + (f" (+{more} more)" if more > 0 else "")


def _indented(text: Text, width: int) -> list[Text]:
    """`text` wrapped at word boundaries to the console width, four spaces in."""
    inner = max(width - 4, 20)
    out = []
    for part in text.split("\n", allow_blank=True):
        ascii_text = part.plain.isascii() and "\t" not in part.plain
        for line in part.divide(_breaks(part.plain, inner)) if ascii_text else part.wrap(_MEASURE, inner, overflow="fold"):
            line.rstrip()
            out.append(Text.assemble("    ", line, no_wrap=True, overflow="fold"))
    return out


def _breaks(plain: str, width: int) -> list[int]:
    """Offsets where a line of `plain` ends: the last space before `width` outside a `code span`
    (so a command stays copyable), else the last space, else `width` itself."""
    inside = _in_code_spans(plain)
    breaks: list[int] = []
    start = 0
    while len(plain) - start > width:
        window = range(start + width, start, -1)
        cut = next((i for i in window if plain[i] == " " and not inside[i]), None)
        if cut is None:
            cut = next((i for i in window if plain[i] == " "), None)
        cut = cut + 1 if cut is not None else start + width
        breaks.append(cut)
        start = cut
    return breaks


def _in_code_spans(plain: str) -> list[bool]:
    """For each character: whether it lies between a pair of backticks."""
    inside, flags = False, []
    closing = plain.count("`") // 2 * 2  # an unpaired last backtick opens nothing
    seen = 0
    for ch in plain:
        if ch == "`" and (inside or seen < closing):
            inside, seen = not inside, seen + 1
        flags.append(inside)
    return flags


def _source_lines(f: Finding) -> list[Text]:
    loc = f.location
    line = linecache.getline(loc.path, loc.line).rstrip("\n")
    if not line.strip():
        return []
    indent = len(line) - len(line.lstrip())
    shown = line[indent:]
    start = max(loc.column - indent, 0)
    end = loc.end_column - indent if loc.end_line == loc.line and loc.end_column > loc.column else len(shown)
    end = max(min(end, len(shown)), start + 1)
    gutter = f"    {loc.line:>5} │ "
    text = Text(gutter, style="dim", no_wrap=True, overflow="ellipsis")
    text.append(shown[:start])
    text.append(shown[start:end], style="bold " + SEVERITY_STYLE.get(f.severity, ""))
    text.append(shown[end:])
    marker = Text(" " * (len(gutter) - 2) + "│ ", style="dim", no_wrap=True, overflow="ellipsis")
    marker.append(" " * start + "^" * (end - start), style=SEVERITY_STYLE.get(f.severity, ""))
    return [text, marker]


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


def rules_table(rows: Sequence[tuple[str, str, str, str]]) -> Table:
    """The `exportlint rules` table: code, slug, kind, summary."""
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("code", style="bold", no_wrap=True)
    table.add_column("rule", style="magenta", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("what it finds")
    for row in rows:
        table.add_row(*row)
    return table
