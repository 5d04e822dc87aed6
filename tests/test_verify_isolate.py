"""Tests of the child-process runner: results, exceptions, timeouts and crashes."""

from __future__ import annotations

import time
from pathlib import Path

from exportlint.verify import run_in_child


def test_child_returns_json_data() -> None:
    outcome = run_in_child("json:dumps", [1, 2], label="t")
    assert outcome.ok and outcome.data == "[1, 2]"


def test_child_exception_is_one_line_naming_the_label() -> None:
    outcome = run_in_child("json:loads", "{not json", label="pkg.mod:make")
    assert not outcome.ok
    assert outcome.error.startswith("pkg.mod:make: JSONDecodeError: ")
    assert "\n" not in outcome.error


def test_timeout_kills_the_child() -> None:
    outcome = run_in_child("time:sleep", 30, label="slow.py:make", timeout=1.0)
    assert outcome.timed_out and outcome.seconds < 10
    assert outcome.error == "slow.py:make: timed out after 1 s and was stopped (raise --timeout?)"


def test_os_exit_and_segfault_are_reported() -> None:
    exited = run_in_child("os:_exit", 3, label="a")
    assert exited.error == "a: the child process exited with code 3 before reporting"
    crashed = run_in_child("ctypes:string_at", 0, label="b")
    assert crashed.error == "b: the child process crashed (SIGSEGV) before reporting"


def test_a_child_that_dies_at_start_up_says_why() -> None:
    outcome = run_in_child("no_such_module_q:run", None, label="m.py:make")
    assert outcome.error == ("m.py:make: the child process exited with code 1 before reporting: "
                             "ModuleNotFoundError: No module named 'no_such_module_q'")


def test_the_users_directory_cannot_shadow_exportlint_or_run_at_start_up(tmp_path: Path) -> None:
    for name in ("exportlint.py", "sitecustomize.py", "usercustomize.py"):
        (tmp_path / name).write_text("raise SystemExit('imported ' + __name__)\n")
    (tmp_path / "user_helper.py").write_text("def run(payload):\n    return payload * 2\n")
    outcome = run_in_child("user_helper:run", 21, label="t", cwd=tmp_path)
    assert (outcome.ok, outcome.data) == (True, 42), outcome.error  # the user's modules still import
    assert "imported" not in outcome.output


def test_processes_the_target_started_do_not_outlive_it(tmp_path: Path) -> None:
    (tmp_path / "spawner.py").write_text(
        "import subprocess, sys\n\n"
        "def run(payload):\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "    return child.pid\n")
    outcome = run_in_child("spawner:run", None, label="t", cwd=tmp_path)
    assert outcome.ok, outcome.error
    deadline = time.monotonic() + 10
    while _alive(outcome.data) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(outcome.data)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
