"""Files written in one step: a reader, or a crash, sees the old file or the new one, never half.

Every file exportlint writes (fix wrappers, reports and ONNX graphs, `--add-ignores` edits, cache
entries) goes through here. The temporary file lives in the target's directory (so the final
`os.replace` is atomic), is hidden and named `.exportlint-NAME-XXXXXX.tmp`, and is removed on
every way out that runs Python code (an error, Ctrl-C, SIGTERM); only SIGKILL can leave one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "plain_mode", "write_atomic"]


def plain_mode() -> int:
    """The permissions a plain `open(path, "w")` gives under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: Path, *, mode: int | None = None) -> Iterator[str]:
    """A temporary path beside `path` for a writer that wants a file name (e.g. an exporter).

    When the block ends normally the file gets `mode` (default: `plain_mode()`) and replaces
    `path`; otherwise it is removed and `path` is untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".exportlint-{path.name}-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, plain_mode() if mode is None else mode)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None, durable: bool = False) -> Path:
    """Replace `path` with `data` (a str is written as UTF-8, newlines as given) in one step.

    Args:
        mode: the new file's permissions (default: `plain_mode()`).
        durable: fsync before the replace (for edits of the user's own files).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, mode=mode) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
    return path
