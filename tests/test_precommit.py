"""The real pre-commit, running this checkout's hook in a throwaway git repository.

pre-commit installs the hook into a fresh virtualenv from this repository at its HEAD commit:
the test also checks that this install stays light (no torch).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = """\
import torch
from torch import nn


class Gate(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout of exportlint"),
]


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com", NO_COLOR="1")
    env.pop("PRE_COMMIT", None)
    return env


def _git(repo: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, check=True,
                   capture_output=True, timeout=60)


def _pre_commit(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_hook_fails_on_a_blocker_and_passes_once_suppressed(tmp_path: Path) -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
    rev = head.stdout.strip()
    env = _env(tmp_path / "pre-commit-home")
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, env, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT.as_posix()}\n    rev: {rev}\n    hooks:\n      - id: exportlint\n"
    )
    (repo / "gate.py").write_text(BLOCKER)
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "model with a blocker")

    failed = _pre_commit(repo, env)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "gate.py" in output and "EXL101" in output and "dynamic-branch" in output

    (repo / "gate.py").write_text(BLOCKER.replace("> 0:", "> 0:  # exportlint: ignore[dynamic-branch]"))
    _git(repo, env, "commit", "-q", "-am", "suppress it")
    passed = _pre_commit(repo, env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout

    # The hook's environment is the static install: libcst, rich, networkx, never torch.
    site_dirs = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*/lib/python*/site-packages"))
    assert site_dirs, "pre-commit did not build a Python environment for the hook"
    installed = {p.name.lower() for d in site_dirs for p in d.iterdir()}
    assert "libcst" in installed and "exportlint" in installed
    assert not installed & {"torch", "onnx", "onnxruntime", "onnxscript"}
