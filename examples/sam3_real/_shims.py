"""Make ``sam3==0.1.4`` importable on a CPU-only machine, without touching site-packages.

SAM3 imports torchvision at module level (``RoIAlign``, ``masks_to_boxes``, transforms) and, via
timm, again; it imports triton for its GPU kernels. None of these are called on the paths the
factories build. PyPI's torchvision is a CUDA build that fails to import beside the CPU torch
(``operator torchvision::nms does not exist``), and triton is not installed on CPU machines.

`importable()` tries the real import of each first. Only when that import fails does it put a
placeholder module in ``sys.modules`` for the duration of the ``with`` block (while SAM3's modules
are imported), and it removes the placeholders afterwards. A placeholder's attributes are inert
stand-ins: reading, calling or subclassing one works, so module-level code such as
``@triton.jit`` or ``from torchvision.ops import RoIAlign`` runs; using one for real computation
is a bug in the factory and fails loudly in the export.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterator
from typing import Any

_SHIMMED = ("torchvision", "triton")


class _Stand:
    """An inert stand-in: every attribute, call, item and subclass of it is another stand-in."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> _Stand:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Stand(f"{self._name}.{attr}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # A decorator (`@triton.jit`, `@triton.autotune(...)(fn)`) hands back the function.
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], _Stand):
            return args[0]
        return _Stand(f"{self._name}()")

    def __getitem__(self, key: Any) -> _Stand:
        return _Stand(f"{self._name}[]")

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[type, ...]:
        return (object,)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"<exportlint placeholder {self._name}>"


class _Placeholder(types.ModuleType):
    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Stand(f"{self.__name__}.{attr}")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves a placeholder for a shimmed package and every submodule of it."""

    def __init__(self, roots: set[str]) -> None:
        self.roots = roots

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name.split(".")[0] not in self.roots:
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _Placeholder(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _broken(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # noqa: BLE001 - any failure (ImportError, RuntimeError from nms) counts
        for key in [k for k in sys.modules if k == name or k.startswith(name + ".")]:
            del sys.modules[key]
        return True
    return False


@contextlib.contextmanager
def importable() -> Iterator[list[str]]:
    """Within the block, SAM3 imports; yields the names that got placeholders."""
    # torch decides once whether triton is usable (torch._dynamo.utils, torch.utils._triton):
    # let it decide before any placeholder exists.
    for name in ("torch", "torch._dynamo", "torch._dynamo.utils", "torch.export", "torch.onnx"):
        importlib.import_module(name)
    shimmed = {name for name in _SHIMMED if _broken(name)}
    finder = _Finder(shimmed)
    if shimmed:
        sys.meta_path.insert(0, finder)
    try:
        yield sorted(shimmed)
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for key in [k for k in sys.modules if k.split(".")[0] in shimmed]:
            del sys.modules[key]
        _forget_triton()


def _forget_triton() -> None:
    """Clear torch's cached "is triton available" answers, in case one was asked in the block."""
    triton_utils = sys.modules.get("torch.utils._triton")
    for attr in dir(triton_utils) if triton_utils else ():
        cache_clear = getattr(getattr(triton_utils, attr), "cache_clear", None)
        if callable(cache_clear):
            cache_clear()
