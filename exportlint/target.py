"""Targets of probe and fix: `path/to/file.py:FACTORY` or `dotted.module:FACTORY`, built into a module.

`FACTORY()` returns `(module, args)` or `(module, args, kwargs)`. Every way this can go wrong
is a one-line `ProbeError` that starts with the target as written, the same for probe and fix.

A file is imported under the dotted name its package chain gives it (`modname`), with the
root above its top package on `sys.path`; a file whose name is not an identifier
(`case.in.py`) is loaded by path under a stable module name instead. The wrapper `fix` writes
imports it the same way, so the wrapper and the fixer see the same classes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from exportlint.errors import ProbeError
from exportlint.modname import module_path

__all__ = ["Target", "TargetRef", "import_target", "load_file", "load_ref", "load_target", "parse_target",
           "split_target", "target_location"]
_SYNTAX = "a target is FILE.py:FACTORY or package.module:FACTORY"
_EXPECTED = "expected (module, args) or (module, args, kwargs)"


@dataclass(frozen=True)
class TargetRef:
    """A factory: the file it is in, its dotted module name when importable, its name."""

    spec: str
    path: Path  # absolute path of the file
    factory: str
    module: str | None  # dotted name; None for a file loaded by path (`loose_name`)
    root: Path | None  # the directory to put on sys.path for `module`; None for an installed module

    @property
    def stem(self) -> str:
        return self.path.name.split(".", 1)[0]

    @property
    def loose_name(self) -> str:
        """The module name a file whose name is not an identifier is loaded under."""
        raw = f"{self.path.parent.name}_{self.stem}"
        cleaned = "".join(c if c.isalnum() else "_" for c in raw)
        return f"exportlint_target_{cleaned}"


@dataclass(frozen=True, slots=True)
class Target:
    """A built target: the module, its example inputs and the file the factory lives in."""

    spec: str
    module: Any
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""


def split_target(spec: str) -> tuple[str, str]:
    """`"a/b.py:make"` -> `("a/b.py", "make")`; raises `ProbeError` without a factory name."""
    location, sep, factory = spec.rpartition(":")
    if not sep or not location or not factory.isidentifier():
        raise ProbeError(f"{spec}: {_SYNTAX}")
    return location, factory


def _is_file_location(location: str) -> bool:
    return location.endswith(".py") or "/" in location or "\\" in location


def parse_target(spec: str, cwd: Path | None = None) -> TargetRef:
    """Find the file or module a target names, without importing it.

    Args:
        spec: `FILE.py:FACTORY` (relative to `cwd`) or `dotted.module:FACTORY`.
        cwd: the directory a relative file is taken from (default: the current one).

    Raises:
        ProbeError: the spec has no factory, or its file or module cannot be found.
    """
    location, factory = split_target(spec)
    if _is_file_location(location):
        path = ((cwd or Path.cwd()) / location).resolve()
        if not path.is_file():
            raise ProbeError(f"{spec}: no such file {location}")
        where = module_path(path)
        if not all(part.isidentifier() for part in where.parts):
            return TargetRef(spec, path, factory, None, None)
        return TargetRef(spec, path, factory, where.name, where.root)
    try:
        found = importlib.util.find_spec(location)
    except ModuleNotFoundError:
        found = None
    except BaseException as error:  # the module's parent package raised while importing
        _reraise_interrupt(error)
        raise ProbeError(f"{spec}: importing `{location}` failed: {_one_line(error)}") from error
    if found is None or not found.origin or not Path(found.origin).is_file():
        raise ProbeError(f"{spec}: cannot find module {location}")
    return TargetRef(spec, Path(found.origin).resolve(), factory, location, None)


def import_target(ref: TargetRef) -> ModuleType:
    """Import the module a target names, the way the generated wrapper does.

    Raises:
        ProbeError: the import fails (whatever the module raised, as one line).
    """
    try:
        if ref.module is None:
            return load_file(ref.path, ref.loose_name)
        if ref.root is not None and str(ref.root) not in sys.path:
            sys.path.insert(0, str(ref.root))
        if ref.root is not None and "." not in ref.module:
            # NOTE: a top-level file is loaded from its own path, never from a same-named
            # module found earlier on sys.path.
            return load_file(ref.path, ref.module)
        return importlib.import_module(ref.module)
    except ProbeError:
        raise
    except BaseException as error:
        _reraise_interrupt(error)
        location, _ = split_target(ref.spec)
        raise ProbeError(f"{ref.spec}: importing `{location}` failed: {_one_line(error)}") from error


def load_file(path: Path, name: str) -> ModuleType:
    """Load a file once under `name` (reused from sys.modules afterwards)."""
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProbeError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_target(spec: str, cwd: Path | None = None) -> Target:
    """Parse, import and call the factory, and check what it returned.

    Raises:
        ProbeError: one line naming `spec`: bad syntax, missing file or module, import error,
            missing factory, factory raised, or returned something other than (module, args[, kwargs]).
    """
    return load_ref(parse_target(spec, cwd))


def load_ref(ref: TargetRef) -> Target:
    """Import the module of a parsed target, call its factory and check what it returned (see `load_target`)."""
    module = import_target(ref)
    factory = getattr(module, ref.factory, None)
    if not callable(factory):
        raise ProbeError(f"{ref.spec}: `{module.__name__}` has no callable `{ref.factory}`")
    return _check_built(ref.spec, _call_factory(ref.spec, factory), getattr(module, "__file__", "") or "")


def _call_factory(spec: str, factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except BaseException as error:
        _reraise_interrupt(error)
        raise ProbeError(f"{spec}: the factory raised {_one_line(error)}") from error


def _check_built(spec: str, built: Any, source: str) -> Target:
    import torch

    if not isinstance(built, (tuple, list)) or len(built) not in (2, 3):
        size = f"a {len(built)}-item {type(built).__name__}" if isinstance(built, (tuple, list)) \
            else f"a {type(built).__name__}"
        raise ProbeError(f"{spec}: the factory returned {size}; {_EXPECTED}")
    module, args, *rest = built
    kwargs = rest[0] if rest else {}
    if not isinstance(module, torch.nn.Module):
        raise ProbeError(f"{spec}: the factory returned a {type(module).__name__} as the "
                         f"module; {_EXPECTED} with a torch.nn.Module")
    if not isinstance(args, (tuple, list)):
        raise ProbeError(f"{spec}: args is a {type(args).__name__}; make it a tuple, e.g. (x,)")
    if not isinstance(kwargs, Mapping):
        raise ProbeError(f"{spec}: kwargs is a {type(kwargs).__name__}; expected a dict")
    return Target(spec, module, tuple(args), dict(kwargs), source)


def target_location(spec: str) -> tuple[str, int]:
    """The file and `def FACTORY` line of a target, found without importing it (0: not found)."""
    location, _, factory = spec.rpartition(":")
    path = location if location.endswith(".py") else _module_file(location)
    if not path or not Path(path).is_file():
        return location, 0
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, OSError):
        return path, 0
    line = next((n.lineno for n in tree.body
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == factory), 0)
    return path, line


def _module_file(dotted: str) -> str:
    try:
        spec = importlib.util.find_spec(dotted)
    except (ImportError, ValueError):
        return ""
    return spec.origin if spec and spec.origin else ""


def _reraise_interrupt(error: BaseException) -> None:
    if isinstance(error, KeyboardInterrupt):
        raise error


def _one_line(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
