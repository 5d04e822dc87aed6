"""Exceptions and stacks turned into `Frame`s, and the test for "is this the user's code?"."""

from __future__ import annotations

import functools
import importlib.util
import linecache
import os
import re
import sys
import sysconfig
import traceback
from collections.abc import Iterable, Sequence
from types import TracebackType

from exportlint.verify.results import Failure, Frame

# Packages whose frames are never the user's code: the exporters, their dependencies, test
# runners and exportlint itself.
_LIBRARY_PACKAGES = (
    "torch", "functorch", "onnx", "onnxscript", "onnx_ir", "onnxruntime", "numpy", "sympy",
    "typing_extensions", "_pytest", "pytest", "pluggy", "exportlint", "rich", "libcst",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FILE_LINE = re.compile(r'File "(?P<path>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>[\w<>.]+))?')


def _as_root(path: str) -> str:
    real = os.path.realpath(path)
    return real if real.endswith(".py") else real + os.sep


@functools.lru_cache(maxsize=1)
def _package_roots() -> tuple[str, ...]:
    """Folders (or single-file modules) of the packages listed in `_LIBRARY_PACKAGES`."""
    roots: set[str] = set()
    for name in _LIBRARY_PACKAGES:
        spec = importlib.util.find_spec(name) if _importable(name) else None
        for location in (spec.submodule_search_locations or []) if spec else []:
            roots.add(_as_root(location))
        if spec and spec.origin and not spec.submodule_search_locations:
            roots.add(_as_root(spec.origin))
    return tuple(roots)


@functools.lru_cache(maxsize=1)
def _installed_roots() -> tuple[str, ...]:
    """Where pip installs packages (site-packages), which may lie inside the stdlib folder.

    Every site-packages on the path counts, not only this interpreter's own: a virtual
    environment made with `--system-site-packages` imports the base interpreter's too.
    """
    paths = sysconfig.get_paths()
    found = {paths[key] for key in ("purelib", "platlib") if key in paths}
    found.update(p for p in sys.path if os.path.basename(p.rstrip(os.sep)) in ("site-packages", "dist-packages"))
    return tuple({_as_root(p) for p in found})


@functools.lru_cache(maxsize=1)
def _stdlib_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    return tuple({_as_root(paths[key]) for key in ("stdlib", "platstdlib")})


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.lru_cache(maxsize=4096)
def is_user_path(path: str) -> bool:
    """True when `path` is a real file outside the exporters, the stdlib and exportlint.

    An installed model package (SAM3 in site-packages) is the user's code; on interpreters whose
    site-packages lies inside the stdlib folder (pyenv, python.org builds), being under the stdlib
    folder alone does not make a file a library's.
    """
    if not path or path.startswith("<") or not path.endswith(".py"):
        return False
    real = os.path.realpath(path)

    def under(roots: tuple[str, ...]) -> bool:
        return any(real == root or real.startswith(root) for root in roots)

    if under(_package_roots()):
        return False
    if under(_installed_roots()):
        return True
    return not under(_stdlib_roots())


def make_frame(path: str, line: int, function: str = "", summary: traceback.FrameSummary | None = None) -> Frame:
    """A `Frame` with the stripped source text of `path:line` filled in when readable, and the
    columns of the expression it was executing when a traceback's `summary` gives them."""
    text = linecache.getline(path, line).strip()
    if summary is None or not getattr(summary, "colno", None) or summary.end_lineno is None:
        return Frame(path, line, function, text)
    return Frame(path, line, function, text, int(summary.colno or 0), int(summary.end_lineno),
                 int(summary.end_colno or 0))


def frames_from_traceback(tb: TracebackType | None) -> tuple[Frame, ...]:
    """The frames of one traceback, outermost first."""
    return tuple(make_frame(f.filename, f.lineno or 0, f.name, f) for f in traceback.extract_tb(tb))


def frames_from_stack(stack: Sequence[traceback.FrameSummary]) -> tuple[Frame, ...]:
    """Frames of an `extract_stack()` summary, outermost first."""
    return tuple(make_frame(f.filename, f.lineno or 0, f.name) for f in stack)


def frames_from_text(text: str) -> tuple[Frame, ...]:
    """The `File "path", line N, in f` frames quoted in an error message, in text order."""
    return tuple(
        make_frame(m["path"], int(m["line"]), m["func"] or "") for m in _FILE_LINE.finditer(text)
    )


def exception_chain(error: BaseException) -> list[BaseException]:
    """The error and its causes/contexts, outermost first, without cycles."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        suppressed = current.__suppress_context__
        current = current.__cause__ or (None if suppressed else current.__context__)
    return chain


def failure_from_exception(error: BaseException) -> Failure:
    """Turn an exception (and its chain) into a `Failure` carrying every frame it crossed.

    The root cause's frames come after its wrappers', and frames quoted in messages come last,
    so the last user frame is the innermost user line involved.
    """
    chain = exception_chain(error)
    tb_frames = [f for e in chain for f in frames_from_traceback(e.__traceback__)]
    text_frames = [f for e in chain for f in frames_from_text(str(e))]
    root = chain[-1]
    return Failure(
        type(error).__name__, strip_ansi(str(error)), tuple(tb_frames + text_frames),
        type(root).__name__ if root is not error else "",
        strip_ansi(str(root)) if root is not error else "",
    )


def strip_ansi(text: str) -> str:
    """`text` without terminal colour codes (the ONNX exporter colours its messages)."""
    return _ANSI.sub("", text)


def first_user_frame(frames: Iterable[Frame], prefer: Sequence[str] = ()) -> Frame | None:
    """The innermost frame in the user's code: the last user frame of an outermost-first list.

    Args:
        frames: frames, outermost first.
        prefer: files (e.g. the probed model's sources) to prefer over other user files.

    Returns:
        The frame, or None when every frame belongs to a library.
    """
    user = [f for f in frames if is_user_path(f.path)]
    preferred = {os.path.realpath(p) for p in prefer}
    chosen = [f for f in user if os.path.realpath(f.path) in preferred] or user
    return chosen[-1] if chosen else None
