"""The dotted module name of a file, from its chain of package directories (`__init__.py`).

Scan (cache keys, the call graph), probe and fix (importing the user's factory, the wrapper's
import line) all name files this way. A directory without `__init__.py` (a plain folder or a
namespace directory) ends the chain: it is the root that would go on `sys.path`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ModulePath", "module_name", "module_names", "module_path"]


@dataclass(frozen=True, slots=True)
class ModulePath:
    """Where a file sits as a module: the `sys.path` root above its top package, and its name below it."""

    root: Path
    parts: tuple[str, ...]

    @property
    def name(self) -> str:
        return ".".join(self.parts)


class _Namer:
    """Names files, resolving each directory and climbing each package chain only once."""

    def __init__(self) -> None:
        self._real_dirs: dict[str, str] = {}
        self._chains: dict[str, tuple[str, tuple[str, ...]]] = {}

    def locate(self, path: Path | str) -> ModulePath:
        full = os.path.abspath(path)
        if os.path.islink(full):
            folder, name = os.path.split(os.path.realpath(full))
        else:
            written, name = os.path.split(full)
            folder = self._real_dirs.get(written) or self._real_dirs.setdefault(written, os.path.realpath(written))
        stem = os.path.splitext(name)[0]
        root, prefix = self._chain(folder)
        return ModulePath(Path(root), (*prefix, *((stem,) if stem != "__init__" else ())))

    def _chain(self, folder: str) -> tuple[str, tuple[str, ...]]:
        """The root above `folder`'s package chain, and the package names from there down to `folder`."""
        found = self._chains.get(folder)
        if found is None:
            parent = os.path.dirname(folder)
            if parent != folder and os.path.exists(os.path.join(folder, "__init__.py")):
                root, prefix = self._chain(parent)
                found = (root, (*prefix, os.path.basename(folder)))
            else:
                found = (folder, ())
            self._chains[folder] = found
        return found


def module_path(path: Path | str) -> ModulePath:
    """The root and dotted parts of one file (symlinks resolved)."""
    return _Namer().locate(path)


def module_name(path: Path | str) -> str:
    """The dotted module name of a file: `pkg/sub/mod.py` -> `pkg.sub.mod`, `pkg/__init__.py` -> `pkg`;
    a file outside any package is named by its stem."""
    return _Namer().locate(path).name


def module_names(paths: Sequence[Path]) -> list[str]:
    """`module_name` of every path, resolving and climbing each directory only once."""
    namer = _Namer()
    return [namer.locate(p).name for p in paths]
