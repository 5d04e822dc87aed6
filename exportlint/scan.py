"""A scan from the paths given: discover the Python files, filter them, hand them to the scheduler.

The layers below run one way: `scheduler` (cache, call-graph rounds) -> `pool` (worker
processes) -> `engine` (one file).
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from exportlint.config import Config
from exportlint.model import FileResult
from exportlint.pathfilter import gitignored
from exportlint.progress import NO_PROGRESS, Progress
from exportlint.scheduler import cache_directory, scan_files

__all__ = ["Discovery", "discover", "filter_discovery", "scan_paths"]
# Directories never searched for Python files.
_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache", ".exportlint_cache",
              "node_modules", ".eggs", "build", "dist"}


@dataclasses.dataclass
class Discovery:
    """The files to scan, and the paths that could not be used."""

    files: list[Path]
    errors: list[FileResult]


def discover(paths: Sequence[Path]) -> Discovery:
    """Expand files and directories into Python files, in a stable order, never looping on symlinks."""
    files: list[Path] = []
    errors: list[FileResult] = []
    seen: set[str] = set()
    for path in paths:
        if not path.exists() and not path.is_symlink():
            errors.append(FileResult(str(path), error=f"{path}: no such file or directory"))
        elif path.is_file():
            _add(files, seen, path, os.path.realpath(path))
        elif path.is_dir():
            for found, real in _walk(path, errors):
                _add(files, seen, found, real)
        elif path.exists():
            errors.append(FileResult(str(path), error=f"{path}: {_not_regular(path)}, skipped"))
        else:
            errors.append(FileResult(str(path), error=f"{path}: not a file or directory (broken link?)"))
    return Discovery(files, errors)


def filter_discovery(found: Discovery, paths: Sequence[Path], config: Config) -> Discovery:
    """Drop the files that `exclude` / `extend-exclude` or, for files found in directories, .gitignore rule out."""
    files = [f for f in found.files if not config.is_excluded(f)]
    if config.respect_gitignore and files:
        named = {os.path.abspath(p) for p in paths}
        folders = [p for p in paths if p.is_dir()]
        # One `git check-ignore` for the files found and the folders named (files first: git's
        # work tree is looked up from the first path's folder).
        ignored = gitignored([*(f for f in files if os.path.abspath(f) not in named), *folders])
        # A folder the user names that git itself ignores (an installed package under a pyenv
        # checkout's ignored versions/ folder) was asked for: its files are scanned.
        asked = tuple(os.path.abspath(d) + os.sep for d in folders if d in ignored)
        files = [f for f in files if f not in ignored or os.path.abspath(f).startswith(asked)]
    return Discovery(files, found.errors)


def _add(files: list[Path], seen: set[str], path: Path, real: str) -> None:
    if real not in seen:
        seen.add(real)
        files.append(path)


def _walk(root: Path, errors: list[FileResult]) -> Iterator[tuple[Path, str]]:
    """Python files under `root` with their real paths (one realpath per directory, not per file)."""
    visited: set[str] = set()

    def unlistable(error: OSError) -> None:
        where = error.filename or str(root)
        reason = error.strerror or type(error).__name__
        errors.append(FileResult(str(where), error=f"{where}: cannot list this directory ({reason}), skipped"))

    for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in visited:
            errors.append(FileResult(dirpath, error=f"{dirpath}: symlink loop, skipped"))
            dirnames[:] = []
            continue
        visited.add(real)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        folder = Path(dirpath)
        for name in sorted(filenames):
            if name.endswith((".py", ".pyi")):
                full = os.path.join(dirpath, name)
                if not os.path.isfile(full):  # NOTE: a FIFO would block the read forever
                    what = _not_regular(Path(full)) if os.path.exists(full) else "a broken symbolic link"
                    errors.append(FileResult(full, error=f"{full}: {what}, skipped"))
                    continue
                yield folder / name, os.path.realpath(full) if os.path.islink(full) else os.path.join(real, name)


def _not_regular(path: Path) -> str:
    """`not a regular file (a FIFO)`: what a path that is neither a file nor a directory is."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        return f"cannot be read ({error.strerror or type(error).__name__})"
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"))
    kind = next((name for test, name in kinds if test(mode)), "not a file")
    return f"not a regular file ({kind})"


def scan_paths(paths: Sequence[Path], config: Config, progress: Progress = NO_PROGRESS) -> list[FileResult]:
    """Scan files and directories; results in discovery order, errors first.

    Unchanged files come from the result cache; the others are analysed in `config.jobs` worker
    processes (0: all cores).
    """
    found = filter_discovery(discover(paths), paths, config)
    return found.errors + scan_files(found.files, config, cache_directory(paths, config), progress)
