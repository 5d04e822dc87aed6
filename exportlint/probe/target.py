"""Probe targets: `path/to/file.py:FACTORY` or `dotted.module:FACTORY`, built into a module.

`FACTORY()` returns `(module, args)` or `(module, args, kwargs)`. Every way this can go
wrong is a one-line `ProbeError` that names the target.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from exportlint.errors import ProbeError


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
        raise ProbeError(f"{spec}: a target is FILE.py:FACTORY or package.module:FACTORY")
    return location, factory


def import_target_module(spec: str) -> ModuleType:
    """Import the module a target names (by file path or dotted name)."""
    location, _ = split_target(spec)
    try:
        if location.endswith(".py") or "/" in location or "\\" in location:
            return _import_file(Path(location))
        return importlib.import_module(location)
    except ProbeError:
        raise
    except BaseException as error:
        raise ProbeError(f"{spec}: importing `{location}` failed: {_one_line(error)}") from error


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        raise ProbeError(f"{path}: no such file")
    path = path.resolve()
    root, dotted = _package_root(path)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if dotted in sys.modules and getattr(sys.modules[dotted], "__file__", None) == str(path):
        return sys.modules[dotted]
    if "." in dotted:
        return importlib.import_module(dotted)
    module_spec = importlib.util.spec_from_file_location(dotted, path)
    if module_spec is None or module_spec.loader is None:
        raise ProbeError(f"{path}: cannot be imported")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[dotted] = module
    module_spec.loader.exec_module(module)
    return module


def _package_root(path: Path) -> tuple[Path, str]:
    """The directory to put on sys.path and the dotted name of `path` below it."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def load_target(spec: str) -> Target:
    """Import and call the factory, and check what it returned.

    Raises:
        ProbeError: one line naming `spec`: bad syntax, import error, missing factory,
            factory raised, or returned something other than (module, args[, kwargs]).
    """
    _, name = split_target(spec)
    module = import_target_module(spec)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise ProbeError(f"{spec}: `{module.__name__}` has no callable `{name}`")
    return _check_built(spec, _call_factory(spec, factory), getattr(module, "__file__", "") or "")


def _call_factory(spec: str, factory: Callable[[], Any]) -> Any:
    try:
        return factory()
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        raise ProbeError(f"{spec}: the factory raised {_one_line(error)}") from error


def _check_built(spec: str, built: Any, source: str) -> Target:
    import torch

    expected = "expected (module, args) or (module, args, kwargs)"
    if not isinstance(built, (tuple, list)) or len(built) not in (2, 3):
        size = f"a {len(built)}-item {type(built).__name__}" if isinstance(built, (tuple, list)) \
            else f"a {type(built).__name__}"
        raise ProbeError(f"{spec}: the factory returned {size}; {expected}")
    module, args, *rest = built
    kwargs = rest[0] if rest else {}
    if not isinstance(module, torch.nn.Module):
        raise ProbeError(f"{spec}: the factory returned a {type(module).__name__} as the "
                         f"module; {expected} with a torch.nn.Module")
    if not isinstance(args, (tuple, list)):
        raise ProbeError(f"{spec}: args is a {type(args).__name__}; make it a tuple, "
                         f"e.g. (x,)")
    if not isinstance(kwargs, Mapping):
        raise ProbeError(f"{spec}: kwargs is a {type(kwargs).__name__}; expected a dict")
    return Target(spec, module, tuple(args), dict(kwargs), source)


def _one_line(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
