"""Tests of the child-process runner: results, exceptions, timeouts and crashes."""

from __future__ import annotations

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
