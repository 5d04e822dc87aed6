"""Where the user's factory lives, and how the generated wrapper imports it.

A file is imported under the dotted name `exportlint.probe.target` gives it (its package chain
of directories with `__init__.py`, from their root); a file whose name is not an identifier
(`case.in.py`) is loaded by path under a stable module name instead. The wrapper imports it the
same way, so the wrapper and the fixer see the same classes.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from exportlint.errors import ProbeError


@dataclass(frozen=True)
class TargetRef:
    """A factory: the file it is in, its dotted module name when importable, its name."""

    spec: str
    path: Path  # absolute path of the file
    factory: str
    module: str | None  # dotted name, when the file is importable from `root`
    root: Path | None  # the directory to put on sys.path for `module`

    @property
    def stem(self) -> str:
        return self.path.name.split(".", 1)[0]

    @property
    def loose_name(self) -> str:
        """The module name a loose file is loaded under."""
        raw = f"{self.path.parent.name}_{self.stem}"
        cleaned = "".join(c if c.isalnum() else "_" for c in raw)
        return f"exportlint_target_{cleaned}"


def parse_target(spec: str, cwd: Path | None = None) -> TargetRef:
    """Parse `file.py:FACTORY` or `dotted.module:FACTORY`.

    Raises:
        ProbeError: the spec has no factory, or its file or module cannot be found.
    """
    where, sep, factory = spec.rpartition(":")
    if not sep or not where or not factory.isidentifier():
        raise ProbeError(f"{spec}: expected FILE.py:FACTORY or dotted.module:FACTORY")
    base = cwd or Path.cwd()
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = (base / where).resolve()
        if not path.is_file():
            raise ProbeError(f"{spec}: no such file {where}")
        module, root = _dotted(path)
        return TargetRef(spec, path, factory, module, root)
    found = importlib.util.find_spec(where)
    if found is None or not found.origin:
        raise ProbeError(f"{spec}: cannot find module {where}")
    return TargetRef(spec, Path(found.origin).resolve(), factory, where, None)


def _dotted(path: Path) -> tuple[str | None, Path | None]:
    """The dotted name and sys.path root `exportlint.probe.target` imports a file under."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    if not all(p.isidentifier() for p in parts):
        return None, None
    return ".".join(parts), folder


def import_target(ref: TargetRef) -> ModuleType:
    """Import the user's module the way the generated wrapper does.

    Raises:
        ProbeError: the import fails.
    """
    try:
        if ref.module is not None:
            if ref.root is not None and str(ref.root) not in sys.path:
                sys.path.insert(0, str(ref.root))
            return importlib.import_module(ref.module)
        return load_file(ref.path, ref.loose_name)
    except ProbeError:
        raise
    except Exception as e:
        raise ProbeError(f"{ref.spec}: importing the target failed: {type(e).__name__}: {e}") from e


def load_file(path: Path, name: str) -> ModuleType:
    """Load a loose file once under `name` (reused from sys.modules afterwards)."""
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
