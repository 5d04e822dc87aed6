"""`scan --add-ignores`: a suppression comment for every current error and warning.

Info findings get none: they never fail a scan. A comment normally ends the finding's line; it
goes on a line of its own above (`# exportlint: ignore-next-line[...]`) when the finding is on a
`def`/`class` line, where a trailing comment would silence the whole definition, or when the
trailing comment would push the line past `LINE_LENGTH` columns. Every other byte is kept.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from exportlint.atomic import write_atomic
from exportlint.errors import SourceError
from exportlint.model import FileResult
from exportlint.source import source_encoding
from exportlint.rules.catalog import INTERNAL_ERROR, UNUSED_IGNORE
from exportlint.suppress import DIRECTIVE, definition_headers, key_matches, parse_keys, read_lines

LINE_LENGTH = 88  # black's and ruff's default line length
_NEVER_ADDED = {INTERNAL_ERROR.code, UNUSED_IGNORE.code}  # internal errors and unused-ignore reports
_ADDED_SEVERITIES = ("error", "warning")


@dataclass
class AddedIgnores:
    """What `--add-ignores` did."""

    comments: int = 0
    files: int = 0
    errors: list[str] = field(default_factory=list)


def add_ignores(results: Sequence[FileResult]) -> AddedIgnores:
    """Write `# exportlint: ignore[slug]` for every error and warning, keeping each file's formatting."""
    done = AddedIgnores()
    for result in results:
        wanted: dict[int, set[str]] = {}
        for f in result.findings:
            if f.code not in _NEVER_ADDED and f.severity in _ADDED_SEVERITIES:
                wanted.setdefault(f.location.line, set()).add(f.rule)
        if result.error is not None or not wanted:
            continue
        try:
            added = insert_ignores(Path(result.path), wanted)
        except (OSError, UnicodeError, SourceError) as e:
            done.errors.append(f"{result.path}: could not add suppressions: {getattr(e, 'strerror', None) or e}")
            continue
        done.comments += added
        done.files += bool(added)
    return done


def insert_ignores(path: Path, wanted: dict[int, set[str]]) -> int:
    """Add the rule slugs of `wanted` (line -> slugs) as ignore comments.

    Only the comments' bytes are added: line endings of every style, trailing spaces, the BOM and
    the file's PEP 263 encoding are kept. A symlink is written through (its target is edited);
    a file with several hard links is refused, since an atomic replace would split them.

    Returns:
        how many comments were written or extended.

    Raises:
        OSError, UnicodeError, SourceError: the file cannot be read, decoded or written.
    """
    real = Path(os.path.realpath(path))
    links = real.stat().st_nlink
    if links > 1:
        raise OSError(f"it has {links} hard links, which replacing it would split; add the comments by hand")
    data = real.read_bytes()
    encoding = source_encoding(path, data)
    text = data.decode(encoding)
    trailing, above = place_comments(text, wanted)
    physical = physical_lines(text)
    changed = _end_lines(physical, _comment_spans(text), trailing)
    new_text = insert_lines_above("".join(physical), above)
    if new_text != text:
        bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        write_atomic(real, bom + new_text.encode("utf-8" if encoding == "utf-8-sig" else encoding),
                     mode=stat.S_IMODE(real.stat().st_mode), durable=True)
    return changed + len(above)


def physical_lines(text: str) -> list[str]:
    """The lines of `text` with their endings, split where CPython splits (`\n`, `\r\n`, `\r`)."""
    return _LINE.findall(text)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _comment_spans(text: str) -> dict[int, tuple[int, int]]:
    """Line -> (start, end) column of the comment that ends it."""
    spans = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text, newline=None).readline):
            if tok.type == tokenize.COMMENT:
                spans[tok.start[0]] = (tok.start[1], tok.end[1])
    except (tokenize.TokenError, SyntaxError):
        pass  # the scan parsed the file; keep what was read
    return spans


def _end_lines(physical: list[str], comments: dict[int, tuple[int, int]], trailing: dict[int, set[str]]) -> int:
    """Put or extend a directive at the end of each line of `trailing`, in place; how many changed."""
    changed = 0
    for line, keys in trailing.items():
        if not 0 < line <= len(physical):
            continue
        code = physical[line - 1]
        body = code.rstrip("\r\n")
        ending = code[len(body):]
        if line in comments:
            start, end = comments[line]
            new = body[:start] + merge_comment(body[start:end], keys) + body[end:]
        else:
            content = len(body.rstrip(" \t\f"))
            new = body[:content] + "  " + merge_comment(None, keys) + body[content:]
        if new != body:
            physical[line - 1] = new + ending
            changed += 1
    return changed


def place_comments(text: str, wanted: dict[int, set[str]]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Where each finding's comment goes: (line -> keys ending that line, line -> keys on a line above it)."""
    lines = read_lines(text)
    physical = [line.rstrip("\r\n") for line in physical_lines(text)]
    headers = {lines.resolve(h) for h in definition_headers(text)}
    trailing: dict[int, set[str]] = {}
    above: dict[int, set[str]] = {}
    for line, keys in wanted.items():
        target = lines.resolve(line)
        code = physical[target - 1] if target <= len(physical) else ""
        too_long = len(code.expandtabs()) + len(merge_comment(None, keys)) + 2 > LINE_LENGTH
        own_line_ok = target == 1 or (target - 1) in lines.comment_lines
        side = above if (target in headers or too_long) and own_line_ok else trailing
        side.setdefault(target, set()).update(keys)
    return trailing, above


def insert_lines_above(text: str, above: dict[int, set[str]]) -> str:
    """`text` with an `ignore-next-line` comment line before each line of `above`, indented like it."""
    if not above:
        return text
    physical = physical_lines(text)
    for line in sorted(above, reverse=True):
        code = physical[line - 1]
        indent = code[:len(code) - len(code.lstrip(" \t"))]
        ending = code[len(code.rstrip("\r\n")):] or _newline(text)
        comment = f"# exportlint: ignore-next-line[{', '.join(sorted(above[line]))}]"
        physical.insert(line - 1, f"{indent}{comment}{ending}")
    return "".join(physical)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"


def merge_comment(comment: str | None, keys: Iterable[str]) -> str:
    """A comment that also ignores `keys`: the existing directive extended, or one appended."""
    if comment is None:
        return f"# exportlint: ignore[{', '.join(sorted(keys))}]"
    match = DIRECTIVE.search(comment)
    if match is None or match.group("next"):
        return f"{comment}  # exportlint: ignore[{', '.join(sorted(keys))}]"
    present = parse_keys(match.group(2))
    if not present and match.group(2) is None:
        return comment  # a bare ignore already covers everything
    merged = list(present) + sorted(k for k in set(keys) if not any(key_matches(p, "", k) for p in present))
    return comment[:match.start()] + f"# exportlint: ignore[{', '.join(merged)}]" + comment[match.end():]


