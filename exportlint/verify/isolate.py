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
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
) -> ChildOutcome:
    """Call `function(payload)` (`"package.module:name"`) in a fresh interpreter.

    Args:
        function: importable callable taking and returning JSON-able data.
        payload: JSON-able argument.
        label: what to name in error messages (e.g. the probe target).
        timeout: seconds before the child's process group is killed.
        cwd: working directory of the child (default: the current one).

    Returns:
        A `ChildOutcome`; never raises for anything the child does.
    """
    with tempfile.TemporaryDirectory(prefix="exportlint-child-") as tmp:
        request, response, log = Path(tmp, "in.json"), Path(tmp, "out.json"), Path(tmp, "log")
        request.write_text(json.dumps({"function": function, "payload": payload}))
        start = time.perf_counter()
        with log.open("wb") as sink:
            code, timed_out = _spawn(request, response, sink, timeout, cwd)
        seconds = time.perf_counter() - start
        output = log.read_text(errors="replace")
        return _outcome(label, response, code, timed_out, timeout, output, seconds)


def _spawn(
    request: Path, response: Path, sink: Any, timeout: float, cwd: str | os.PathLike[str] | None
) -> tuple[int | None, bool]:
    env = dict(os.environ)
    paths = [p for p in [os.getcwd(), *sys.path] if p and os.path.isdir(p)]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    command = [sys.executable, "-m", "exportlint.verify.child", str(request), str(response)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink,
                               cwd=cwd, env=env, start_new_session=True)
    try:
        return process.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return None, True


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
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
        return ChildOutcome(label, False, error=f"{label}: {_death(code)}", output=output,
                            seconds=seconds, returncode=code)
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
