"""`scan --add-ignores`: a suppression comment for every current error and warning.

Info findings get none: they never fail a scan. A comment normally ends the finding's line; it
goes on a line of its own above (`# exportlint: ignore-next-line[...]`) when the finding is on a
`def`/`class` line, where a trailing comment would silence the whole definition, or when the
trailing comment would push the line past `LINE_LENGTH` columns. Every other byte is kept.
"""

from __future__ import annotations

import codecs
import os
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from exportlint.model import FileResult
from exportlint.suppress import DIRECTIVE, UNUSED_CODE, definition_headers, key_matches, parse_keys, read_lines

LINE_LENGTH = 88  # black's and ruff's default line length
_NEVER_ADDED = {"EXL000", UNUSED_CODE}  # internal errors and unused-ignore reports
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
        except (OSError, UnicodeDecodeError, cst.ParserSyntaxError) as e:
            done.errors.append(f"{result.path}: could not add suppressions ({e})")
            continue
        done.comments += added
        done.files += bool(added)
    return done


def insert_ignores(path: Path, wanted: dict[int, set[str]]) -> int:
    """Add the rule slugs of `wanted` (line -> slugs) as ignore comments.

    Returns:
        how many comments were written or extended.
    """
    data = path.read_bytes()
    bom = data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    trailing, above = place_comments(text, wanted)
    adder = _CommentAdder(trailing)
    new_text = MetadataWrapper(cst.parse_module(text)).visit(adder).code if trailing else text
    new_text = insert_lines_above(new_text, above)
    if new_text != text:
        write_atomic(path, (codecs.BOM_UTF8 if bom else b"") + new_text.encode("utf-8"))
    return adder.changed + len(above)


def place_comments(text: str, wanted: dict[int, set[str]]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Where each finding's comment goes: (line -> keys ending that line, line -> keys on a line above it)."""
    lines = read_lines(text)
    physical = text.splitlines()
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
    physical = text.splitlines(keepends=True)
    for line in sorted(above, reverse=True):
        code = physical[line - 1]
        indent = code[:len(code) - len(code.lstrip(" \t"))]
        ending = code[len(code.rstrip("\r\n")):] or _newline(text)
        comment = f"# exportlint: ignore-next-line[{', '.join(sorted(above[line]))}]"
        physical.insert(line - 1, f"{indent}{comment}{ending}")
    return "".join(physical)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"


class _CommentAdder(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, targets: dict[int, set[str]]) -> None:
        super().__init__()
        self.targets = targets
        self.changed = 0

    def leave_TrailingWhitespace(
        self, original_node: cst.TrailingWhitespace, updated_node: cst.TrailingWhitespace
    ) -> cst.TrailingWhitespace:
        line = self.get_metadata(PositionProvider, original_node).start.line
        keys = self.targets.pop(line, None)
        if not keys:
            return updated_node
        old = updated_node.comment.value if updated_node.comment else None
        new = merge_comment(old, keys)
        if new == old:
            return updated_node
        self.changed += 1
        space = updated_node.whitespace if old else cst.SimpleWhitespace("  ")
        return updated_node.with_changes(whitespace=space, comment=cst.Comment(new))


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


def write_atomic(path: Path, data: bytes) -> None:
    """Replace a file's bytes in one step: a crash leaves the old file or the new one."""
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
