"""Path filters for discovery: config globs (`exclude`, `per-file-ignores`) and .gitignore."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path


@functools.lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as a regex over '/'-separated paths: `*` and `?` stay in one segment, `**` spans
    segments. A match also covers everything below the matched directory."""
    out, i, text = [], 0, pattern.strip("/")
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] in "*?":
            out.append("[^/]*" if text[i] == "*" else "[^/]")
            i += 1
        elif text[i] == "[" and "]" in text[i + 2:]:
            end = text.index("]", i + 2)
            body = text[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?")


def matches_any(path: Path, patterns: Sequence[str], root: str = "") -> bool:
    """Whether a glob matches the path relative to `root` (or the current directory).

    A pattern with a `/` is matched against the whole relative path; one without (`tests`,
    `*_pb2.py`) against each file or directory name in it, like a .gitignore line.
    """
    if not patterns:
        return False
    rels = _relative_forms(path, root)
    for pattern in patterns:
        regex = glob_regex(pattern)
        if "/" in pattern.strip("/"):
            if any(regex.fullmatch(rel) for rel in rels):
                return True
        elif any(regex.fullmatch(part) for rel in rels for part in rel.split("/")):
            return True
    return False


def _relative_forms(path: Path, root: str) -> list[str]:
    absolute = os.path.abspath(path)
    forms = []
    for base in (root or os.getcwd(), os.getcwd()):
        rel = os.path.relpath(absolute, base)
        if not rel.startswith(".."):
            forms.append(Path(rel).as_posix())
    return forms or [Path(absolute).as_posix().lstrip("/")]


def gitignored(files: Sequence[Path]) -> set[Path]:
    """The files git ignores, asked of `git check-ignore` in one call (tracked files never are).

    Outside a git work tree, or without git, nothing is ignored.
    """
    if not files:
        return set()
    top = _git_output(["rev-parse", "--show-toplevel"], Path(os.path.abspath(files[0])).parent)
    if not top:
        return set()
    by_rel: dict[str, Path] = {}
    for f in files:
        for form in (os.path.abspath(f), os.path.realpath(f)):
            rel = os.path.relpath(form, top.strip())
            if not rel.startswith(".."):
                by_rel[Path(rel).as_posix()] = f
                break
    out = _git_output(["check-ignore", "--stdin", "-z"], Path(top.strip()), "\0".join(by_rel) + "\0")
    return {by_rel[p] for p in (out or "").split("\0") if p in by_rel}


def _git_output(args: list[str], cwd: Path, stdin: str | None = None) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, text=True,
                              timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    # check-ignore exits 1 when no path is ignored: that is an answer, not an error.
    return proc.stdout if proc.returncode in (0, 1) else None
