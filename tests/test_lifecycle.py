"""Stopping exportlint: Ctrl-C and SIGTERM end it with the shell's codes and take its children
along; a child never outlives an exportlint killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from exportlint.lifecycle import Terminated, exit_code

ROOT = Path(__file__).resolve().parents[1]

HANGING_FACTORY = textwrap.dedent("""
    import os, time
    from pathlib import Path

    def make():
        Path(os.environ["PID_FILE"]).write_text(str(os.getpid()))
        time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited: it only waits for its parent to read its status.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def _start_probe(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    (tmp_path / "hang.py").write_text(HANGING_FACTORY)
    pid_file = tmp_path / "child.pid"
    env = {**os.environ, "PID_FILE": str(pid_file), "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-m", "exportlint", "probe", "hang.py:make", "--timeout", "300"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: pid_file.is_file() and pid_file.read_text().isdigit(), 120), "the child never started"
    return parent, pid_file


def test_exit_codes_follow_the_shell_convention() -> None:
    assert exit_code(KeyboardInterrupt()) == 130
    assert exit_code(Terminated(signal.SIGTERM)) == 143
    assert exit_code(Terminated(signal.SIGHUP)) == 129


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "word"), [(signal.SIGINT, 130, "interrupted"),
                                                      (signal.SIGTERM, 143, "terminated")])
def test_a_signal_stops_the_probe_and_its_child(tmp_path: Path, signum: int, code: int, word: str) -> None:
    parent, pid_file = _start_probe(tmp_path)
    child = int(pid_file.read_text())
    parent.send_signal(signum)
    _, err = parent.communicate(timeout=60)
    assert parent.returncode == code
    assert err.strip().splitlines()[-1] == f"exportlint: {word}"
    assert "Traceback" not in err
    assert _wait_for(lambda: not _alive(child), 10), "the child outlived exportlint"


@pytest.mark.slow
def test_a_child_dies_with_an_exportlint_killed_outright(tmp_path: Path) -> None:
    parent, pid_file = _start_probe(tmp_path)
    child = int(pid_file.read_text())
    parent.kill()
    parent.communicate(timeout=60)
    assert _wait_for(lambda: not _alive(child), 10), "the child outlived a SIGKILLed exportlint"


def test_scan_workers_die_with_a_parent_killed_outright(tmp_path: Path) -> None:
    """A forked scan worker runs `_start_worker`; with its parent gone it goes too."""
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from exportlint.config import Config
        from exportlint import pool
        pid = os.fork()
        if pid == 0:
            pool._start_worker(Config(cache=False), frozenset(), os.getppid())
            print(os.getpid(), flush=True)
            time.sleep(600)
            os._exit(0)
        time.sleep(600)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.kill()
    parent.wait(timeout=30)
    assert _wait_for(lambda: not _alive(worker), 10), "the worker outlived its parent"


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, None)])
def test_a_signal_during_a_parallel_scan_leaves_no_worker(tmp_path: Path, signum: int, code: int | None) -> None:
    body = "".join(f"    def f{k}(self, x):\n        if x.sum() > {k}:\n            x = x * 2\n        return x\n"
                   for k in range(40))
    for n in range(400):
        (tmp_path / f"m{n}.py").write_text(f"import torch\n\n\nclass M{n}(torch.nn.Module):\n{body}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    parent = subprocess.Popen([sys.executable, "-m", "exportlint", "scan", ".", "--jobs", "2", "--no-cache"],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: len(_children(parent.pid)) >= 2, 60), "the workers never started"
    workers = _children(parent.pid)
    time.sleep(0.5)
    parent.send_signal(signum)
    _, err = parent.communicate(timeout=30)
    if code is not None:
        assert parent.returncode == code
        assert "Traceback" not in err and err.strip().splitlines()[-1] in ("exportlint: interrupted",
                                                                           "exportlint: terminated")
    assert _wait_for(lambda: not any(_alive(w) for w in workers), 10), "a worker outlived the scan"
