"""Run a function in a child Python process: results come back as JSON, crashes as data.

An export can hang or kill the interpreter, so every target runs in its own process group
with a timeout; a segfault, `os._exit` or timeout becomes a one-line `ChildOutcome.error`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportlint.progress import STEP_FILE_ENV

PARENT_ENV = "EXPORTLINT_PARENT_PID"  # the child dies with this process
USER_PATH_ENV = "EXPORTLINT_USER_PATH"  # directories the child appends to sys.path once started
_OWN_ROOT = str(Path(__file__).resolve().parents[2])  # the directory holding the exportlint package

# Children still running, so that an interrupt in another thread can stop them all.
_live: set[subprocess.Popen[bytes]] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()

DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class ChildOutcome:
    """What came back from a child process.

    `data` is the JSON value the function returned when `ok`; otherwise `error` is one line
    naming the label (the target) and what went wrong. `output` is the child's stdout+stderr.
    """

    label: str
    ok: bool
    data: Any = None
    error: str = ""
    output: str = ""
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False


def run_in_child(
    function: str,
    payload: Any,
    *,
    label: str,
    timeout: float = DEFAULT_TIMEOUT,
    cwd: str | os.PathLike[str] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ChildOutcome:
    """Call `function(payload)` (`"package.module:name"`) in a fresh interpreter.

    Args:
        function: importable callable taking and returning JSON-able data.
        payload: JSON-able argument.
        label: what to name in error messages (e.g. the probe target).
        timeout: seconds before the child's process group is killed.
        cwd: working directory of the child (default: the current one).
        on_step: called with each step the child reports (`exportlint.progress.step`), from
            this thread, while the child runs.

    Returns:
        A `ChildOutcome`; never raises for anything the child does.
    """
    with tempfile.TemporaryDirectory(prefix="exportlint-child-") as tmp:
        request, response, log = Path(tmp, "in.json"), Path(tmp, "out.json"), Path(tmp, "log")
        request.write_text(json.dumps({"function": function, "payload": payload}))
        start = time.perf_counter()
        steps = _Steps(Path(tmp, "steps"), on_step)
        with log.open("wb") as sink:
            code, timed_out = _spawn(request, response, sink, timeout, cwd, steps)
        seconds = time.perf_counter() - start
        output = log.read_text(errors="replace")
        return _outcome(label, response, code, timed_out, timeout, output, seconds)


class _Steps:
    """The steps file a child appends to, read as it grows."""

    def __init__(self, path: Path, on_step: Callable[[str], None] | None) -> None:
        self.path, self.on_step, self.offset = path, on_step, 0

    def read(self) -> None:
        if self.on_step is None:
            return
        try:
            with self.path.open("rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.decode("utf-8", "replace").splitlines():
            self.on_step(line)


def _spawn(
    request: Path, response: Path, sink: Any, timeout: float, cwd: str | os.PathLike[str] | None,
    steps: _Steps,
) -> tuple[int | None, bool]:
    env = dict(os.environ)
    env.pop(STEP_FILE_ENV, None)
    if steps.on_step is not None:
        env[STEP_FILE_ENV] = str(steps.path)
    # NOTE: the user's directories (the current one, the child's) are added by the child after
    # start-up, behind exportlint and the installed packages: an `exportlint.py`, `torch.py` or
    # `sitecustomize.py` there can neither shadow them nor run at interpreter start (`-P`).
    user = [os.path.abspath(p) for p in (os.getcwd(), cwd or os.getcwd())]
    paths = [_OWN_ROOT, *(p for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) not in user)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env[USER_PATH_ENV] = os.pathsep.join(dict.fromkeys(user))
    env.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    env[PARENT_ENV] = str(os.getpid())
    command = [sys.executable, "-P", "-m", "exportlint.verify.child", str(request), str(response)]
    with _live_lock:
        if _stopping.is_set():
            return None, False  # interrupted: start nothing new
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                                   cwd=cwd, env=env, start_new_session=True)
        _live.add(process)
    deadline = time.monotonic() + timeout
    # NOTE: with a step reader the wait is sliced so that steps show while the child runs.
    poll = 0.2 if steps.on_step is not None else timeout
    try:
        while True:
            try:
                code = process.wait(timeout=max(0.0, min(poll, deadline - time.monotonic())))
                steps.read()
                _kill_leftovers(process)
                return code, False
            except subprocess.TimeoutExpired:
                steps.read()
                if time.monotonic() >= deadline:
                    _kill_group(process)
                    return None, True
    except BaseException:
        # Ctrl-C, SIGTERM or an error in this process: the child is in its own session and
        # would outlive us; stop its whole group before unwinding.
        _kill_group(process)
        raise
    finally:
        with _live_lock:
            _live.discard(process)


@contextmanager
def children_stopped_on_interrupt(drain: Callable[[], None]) -> Iterator[None]:
    """For a caller that waits on `run_in_child` calls made in other threads: when the block
    is left by an exception (Ctrl-C, SIGTERM), every running child's group is killed, and no
    new child starts while `drain()` waits for those threads to finish."""
    try:
        yield
    except BaseException:
        with _live_lock:
            _stopping.set()
            running = list(_live)
        try:
            for process in running:
                _kill_group(process)
            drain()
        finally:
            _stopping.clear()
        raise


def _kill_leftovers(process: subprocess.Popen[bytes]) -> bool:
    """Kill the child's session group: processes the target started do not outlive the probe.
    False when there is no group left to signal."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    if not _kill_leftovers(process):
        process.kill()
    process.wait()


def _outcome(
    label: str, response: Path, code: int | None, timed_out: bool, timeout: float,
    output: str, seconds: float,
) -> ChildOutcome:
    if timed_out:
        error = f"{label}: timed out after {timeout:g} s and was stopped (raise --timeout?)"
        return ChildOutcome(label, False, error=error, output=output, seconds=seconds,
                            timed_out=True)
    reply = _read_reply(response)
    if reply is None:
        error = f"{label}: {_death(code)}"
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
        if code is not None and code > 0 and last:
            error += f": {last[:200]}"  # e.g. the import error that stopped it at start-up
        return ChildOutcome(label, False, error=error, output=output, seconds=seconds,
                            returncode=code)
    if not reply.get("ok"):
        message = str(reply.get("error"))
        error = message if message.startswith(f"{label}: ") else f"{label}: {message}"
        return ChildOutcome(label, False, error=error, output=output, seconds=seconds,
                            returncode=code)
    return ChildOutcome(label, True, reply.get("data"), output=output, seconds=seconds,
                        returncode=code)


def _read_reply(response: Path) -> dict[str, Any] | None:
    try:
        reply = json.loads(response.read_text())
    except (OSError, ValueError):
        return None
    return reply if isinstance(reply, dict) else None


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the child process crashed ({name}) before reporting"
    return f"the child process exited with code {code} before reporting"
