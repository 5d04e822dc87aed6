"""Suppressions: `# exportlint: ignore[...]` comments, `per-file-ignores` and unused-ignore
reports (unknown rule names always; `add_ignores` writes the comments).

A comment covers the line it ends. A line that cannot end in a comment (inside a multi-line
string, before a backslash continuation) is covered by the first line after it that can. A
comment on a `def` or `class` line covers the whole definition. `# exportlint: ignore-next-line[...]`
covers the line below it, and only that line, even when it is a `def` or `class` line.
"""

from __future__ import annotations

import ast
import bisect
import io
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exportlint.config import Config
from exportlint.model import Finding, Location
from exportlint.rules.base import Rule
from exportlint.rules.catalog import UNUSED_IGNORE, did_you_mean, is_known_key

DIRECTIVE = re.compile(r"#\s*exportlint:\s*ignore(?P<next>-next-line)?\b(?:\[([^\]]*)\])?", re.IGNORECASE)


@dataclass
class Directive:
    """One `# exportlint: ignore[...]` comment. `keys` is empty for a bare ignore."""

    line: int
    column: int
    end_column: int
    keys: tuple[str, ...]
    scope: tuple[int, int] | None = None  # lines of the def/class whose header it is on
    used: set[str] = field(default_factory=set)
    covers: int = 0  # the line it covers: its own, or for `ignore-next-line` the one below
    next_line: bool = False

    def matches(self, finding: Finding) -> str | None:
        """The key that suppresses the finding ("*" for a bare ignore), if any."""
        if not self.keys:
            return "*"
        return next((k for k in self.keys if key_matches(k, finding.code, finding.rule)), None)


def key_matches(key: str, code: str, rule: str) -> bool:
    """A slug, a code or a code prefix (any case) naming the rule."""
    upper = key.upper()
    return key == rule or upper == code or (upper.startswith("EXL") and code.startswith(upper))


def parse_keys(text: str | None) -> tuple[str, ...]:
    """`dynamic-branch, EXL201` -> ("dynamic-branch", "EXL201")."""
    return tuple(k.strip() for k in (text or "").split(",") if k.strip())


# -- reading comments ---------------------------------------------------------------------------

@dataclass
class _Lines:
    """Where comments can go: each physical line resolved to the line whose end holds its comment."""

    comment_lines: list[int]
    directives: list[Directive]

    def resolve(self, line: int) -> int:
        i = bisect.bisect_left(self.comment_lines, line)
        return self.comment_lines[i] if i < len(self.comment_lines) else line


def read_lines(text: str) -> _Lines:
    """Tokenize once: the lines a comment can end, and the exportlint directives."""
    ends: set[int] = set()
    directives = []
    try:
        # NOTE: newline=None reads `\r` and `\r\n` endings as CPython does; line numbers stay.
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type in (tokenize.NEWLINE, tokenize.NL):
                ends.add(tok.start[0])
            elif tok.type == tokenize.COMMENT and (m := DIRECTIVE.search(tok.string)):
                ends.add(tok.start[0])
                start = tok.start[1] + m.start()
                directives.append(Directive(tok.start[0], start, tok.start[1] + m.end(), parse_keys(m.group(2)),
                                            covers=tok.start[0], next_line=m.group("next") is not None))
    except (tokenize.TokenError, SyntaxError):
        pass  # libcst parsed the file; keep what was read
    lines = _Lines(sorted(ends), directives)
    for d in directives:
        if d.next_line:
            d.covers = lines.resolve(d.line + 1)
    return lines


def parse_directives(text: str) -> tuple[_Lines, list[Directive]]:
    """The directives of a file, with def/class scopes attached."""
    if not DIRECTIVE.search(text):
        return _Lines([], []), []
    lines = read_lines(text)
    scopes = _definition_scopes(text)
    directives: list[Directive] = []
    for d in lines.directives:
        for header, span in scopes if not d.next_line else ():
            if lines.resolve(header) == d.line:
                directives.append(Directive(d.line, d.column, d.end_column, d.keys, span, covers=d.line))
        directives.append(d)
    return lines, directives


def definition_headers(text: str) -> list[int]:
    """The header lines of every def and class (where a comment covers the whole definition)."""
    return [header for header, _ in _definition_scopes(text)]


def _definition_scopes(text: str) -> list[tuple[int, tuple[int, int]]]:
    """(header line, (first, last) line) of every def and class, innermost last."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            out.append((node.lineno, (first, node.end_lineno or node.lineno)))
    return out


# -- applying them ------------------------------------------------------------------------------

def apply_suppressions(
    findings: Sequence[Finding], text: str, path: Path, display: str, config: Config, rules: Iterable[type[Rule]],
) -> list[Finding]:
    """Drop the findings that `per-file-ignores` or a comment suppresses.

    Add an `unused-ignore` finding for each key naming no known code and, with
    `config.report_unused_ignores`, for each key that suppressed nothing (of a rule that ran).
    """
    off = config.ignored_rules(path) if config.per_file_ignores else ()
    kept = [f for f in findings if not any(key_matches(k, f.code, f.rule) for k in off)]
    lines, directives = parse_directives(text)
    if not directives:
        return kept
    out = [f for f in kept if not _suppress(f, lines, directives)]
    merged = _merge_scoped(directives)
    out.extend(unknown_key_findings(merged, display))
    if config.report_unused_ignores:
        enabled = [r for r in rules if not any(key_matches(k, r.code, r.name) for k in off)]
        out.extend(unused_findings(merged, enabled, display))
    return out


def unsuppressed(findings: Iterable[Finding], config: Config) -> list[Finding]:
    """The findings made elsewhere (probe findings, located at lines of the user's files) that
    neither `per-file-ignores` nor a comment in their file suppresses; each file is read once.
    An unreadable file suppresses nothing."""
    parsed: dict[str, tuple[_Lines, list[Directive]]] = {}
    kept = []
    for finding in findings:
        path = Path(finding.location.path)
        if config.per_file_ignores and any(key_matches(k, finding.code, finding.rule)
                                           for k in config.ignored_rules(path)):
            continue
        if finding.location.path not in parsed:
            try:
                parsed[finding.location.path] = parse_directives(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                parsed[finding.location.path] = (_Lines([], []), [])
        lines, directives = parsed[finding.location.path]
        if not (directives and _suppress(finding, lines, directives)):
            kept.append(finding)
    return kept


def _suppress(finding: Finding, lines: _Lines, directives: Sequence[Directive]) -> bool:
    line = lines.resolve(finding.location.line)
    own = [d for d in directives if d.scope is None and d.covers == line]
    scoped = sorted((d for d in directives if d.scope and d.scope[0] <= finding.location.line <= d.scope[1]),
                    key=lambda d: d.scope[0] if d.scope else 0, reverse=True)
    for directive in (*own, *scoped):
        key = directive.matches(finding)
        if key is not None:
            directive.used.add(key)
            return True
    return False


def _merge_scoped(directives: Sequence[Directive]) -> list[Directive]:
    """One directive per comment: a def-line comment is used if its line or its body used it."""
    merged: dict[tuple[int, int], Directive] = {}
    for d in directives:
        one = merged.setdefault((d.line, d.column), Directive(d.line, d.column, d.end_column, d.keys, covers=d.covers))
        one.used |= d.used
    return list(merged.values())


def unknown_key_findings(directives: Sequence[Directive], display: str) -> list[Finding]:
    """An `unused-ignore` finding, with a did-you-mean, for each key naming no code or code prefix."""
    return [_unused(Location(display, d.line, d.column, d.line, d.end_column),
                    f"unknown rule `{key}` in `# exportlint: ignore[...]`{did_you_mean(key)}")
            for d in directives for key in d.keys if not is_known_key(key)]


def unused_findings(directives: Sequence[Directive], enabled: Sequence[type[Rule]], display: str) -> list[Finding]:
    """An `unused-ignore` finding for each key of a rule that ran and that suppressed nothing."""
    out = []
    for d in directives:
        where = Location(display, d.line, d.column, d.line, d.end_column)
        if not d.keys and "*" not in d.used:
            out.append(_unused(where, "unused suppression: nothing is reported here"))
        for key in d.keys:
            if key not in d.used and any(key_matches(key, r.code, r.name) for r in enabled):
                out.append(_unused(where, f"unused suppression: `{key}` reports nothing here"))
    return out


def _unused(where: Location, message: str) -> Finding:
    return Finding(UNUSED_IGNORE.code, UNUSED_IGNORE.name, message, where, severity="warning",
                   hint=UNUSED_IGNORE.hint)
