"""Nothing in one file's analysis stops a scan: errors become findings or file errors."""

from __future__ import annotations

import importlib.util
import os
import shutil
import time
from pathlib import Path

import pytest

import exportlint.analysis
import exportlint.engine
import exportlint.positions
import exportlint.timelimit
from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.scan import scan_paths
from exportlint.model import FileResult
from exportlint.pool import Done, Job, Workers, run_jobs
from exportlint.rules.dynamic_branch import DynamicBranch

MODEL = """\
import torch
from torch import nn


class M(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x.item()
        return x
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def internal_errors(result: FileResult) -> list[str]:
    return [f.message for f in result.findings if f.code == "EXL000"]


# Each of these crashes or hangs libcst's native parser; CPython's parser, run first, rejects them.
PATHOLOGICAL = {
    "parens": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
    "chain": "x = 1" + " + 1" * 5000 + "\n",
    "unary": "x = " + "-" * 100_000 + "1\n",
    "lambdas": "x = " + "lambda: " * 20_000 + "1\n",
    "attributes": "x = a" + ".b" * 100_000 + "\n",
    "calls": "x = f" + "()" * 100_000 + "\n",
}


@pytest.mark.parametrize("kind", sorted(PATHOLOGICAL))
def test_pathological_nesting_is_a_file_error_not_a_crash(tmp_path: Path, kind: str) -> None:
    result = scan_file(write(tmp_path, f"{kind}.py", MODEL + PATHOLOGICAL[kind]), Config())
    assert result.error is not None
    assert "too deeply nested" in result.error or "syntax error" in result.error or "too many" in result.error


def test_deep_but_valid_code_is_an_internal_error_naming_the_step(tmp_path: Path) -> None:
    deep = MODEL.replace("if x.sum() > 0:", "if (x" + " + x" * 900 + ").sum() > 0:")
    result = scan_file(write(tmp_path, "deep.py", deep), Config())
    assert result.error is None
    assert all("while" in m or "in rule" in m for m in internal_errors(result))
    assert result.findings, "either the finding or an internal error, never silence"


def test_a_failing_rule_is_reported_by_name_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: DynamicBranch, node: object) -> None:
        raise ValueError("rule bug")

    monkeypatch.setattr(DynamicBranch, "visit_If", broken)
    result = scan_file(write(tmp_path, "m.py", MODEL), Config())
    assert internal_errors(result) == ["internal error in rule dynamic-branch: ValueError: rule bug"]
    assert "tensor-to-python" in {f.rule for f in result.findings}


def test_a_failing_analysis_step_is_an_internal_error_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a.py", MODEL)
    write(tmp_path, "b.py", MODEL.replace("class M", "class N"))
    real = exportlint.analysis.build_facts

    def flaky(module: object, known: frozenset[str], roots: frozenset[str], *rest: object) -> object:
        if "class N" in module.code:  # type: ignore[attr-defined]
            raise RecursionError("maximum recursion depth exceeded")
        return real(module, known, roots, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(exportlint.analysis, "build_facts", flaky)
    results = {Path(r.path).name: r for r in scan_paths([tmp_path], Config(jobs=1, cache=False))}
    assert internal_errors(results["b.py"]) == [
        "internal error while building facts: RecursionError: maximum recursion depth exceeded"
    ]
    assert {f.rule for f in results["a.py"].findings} >= {"dynamic-branch", "tensor-to-python"}


def test_a_failing_position_lookup_is_reported_for_the_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def lost(self: object, node: object, root: object = None) -> object:
        raise KeyError("node not in this tree")

    monkeypatch.setattr("exportlint.source.Positions.span", lost)
    result = scan_file(write(tmp_path, "m.py", MODEL), Config())
    assert any(m.startswith("internal error in rule dynamic-branch: KeyError") for m in internal_errors(result))


def test_a_worker_that_dies_costs_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = exportlint.engine.scan_file

    def dying(path: Path, *args: object, **kwargs: object) -> FileResult:
        if path.name == "boom.py":
            os._exit(70)  # what a parser segfault or the OOM killer looks like from outside
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exportlint.engine, "scan_file", dying)
    names = ["a.py", "b.py", "boom.py", "c.py", "d.py"]
    jobs = [Job(i, write(tmp_path, n, MODEL), n, MODEL.encode()) for i, n in enumerate(names)]
    done: dict[str, Done] = {}
    run_jobs(jobs, Config(), frozenset(), 2, lambda d: done.update({names[d.index]: d}))
    assert sorted(done) == sorted(names)
    assert "process died" in (done["boom.py"].result.error or "") and not done["boom.py"].analysed
    assert all(done[n].result.error is None and done[n].result.findings for n in names if n != "boom.py")


def test_later_rounds_reuse_the_workers_of_the_first_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Call-graph rounds run in the pool's processes (parser loaded), not in the scanning process."""

    def where(path: Path, *args: object, **kwargs: object) -> FileResult:
        return FileResult(f"{path.name}@{os.getpid()}@{os.getppid()}")

    monkeypatch.setattr(exportlint.engine, "scan_file", where)
    jobs = [Job(i, write(tmp_path, f"m{i}.py", MODEL), f"m{i}.py", MODEL.encode()) for i in range(4)]
    first: list[Done] = []
    later: list[Done] = []
    me = str(os.getpid())
    with Workers(Config(), frozenset(), 2) as workers:
        workers.run(jobs, first.append)
        pool = workers._pool
        workers.run(jobs[:1], later.append)
        assert pool is not None and workers._pool is pool  # the same processes, no new pool
    # Which worker takes which job is up to the pool; every job ran in a child of this process.
    ran_in = [d.result.path.split("@")[1:] for d in [*first, *later]]
    assert len(ran_in) == 5 and all(pid != me and parent == me for pid, parent in ran_in)
    with Workers(Config(), frozenset(), 2) as alone:
        alone.run(jobs[:1], later.append)  # one job and no pool yet: analysed here, no processes started
    assert later[1].result.path.split("@")[1] == me


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_past_the_time_limit_is_skipped_and_the_others_analysed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    real = exportlint.engine.scan_file

    def slow(path: Path, *args: object, **kwargs: object) -> FileResult:
        if path.name == "slow.py":
            while True:  # a rule stuck in a loop, or libcst crawling through a huge expression
                time.sleep(0.01)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(exportlint.engine, "scan_file", slow)
    monkeypatch.setattr(exportlint.timelimit, "FILE_TIME_LIMIT", 0.5)
    names = ["a.py", "slow.py", "b.py"]
    jobs = [Job(i, write(tmp_path, n, MODEL), n, MODEL.encode()) for i, n in enumerate(names)]
    done: dict[str, Done] = {}
    started = time.monotonic()
    run_jobs(jobs, Config(), frozenset(), workers, lambda d: done.update({names[d.index]: d}))
    assert time.monotonic() - started < 20
    assert "analysis stopped after 0.5 s" in (done["slow.py"].result.error or "")
    assert not done["slow.py"].analysed  # never cached
    assert all(done[n].result.findings and done[n].analysed for n in ("a.py", "b.py"))


def test_unreadable_and_odd_files_are_file_errors(tmp_path: Path) -> None:
    cases = {"latin1.py": "x = 'caf\xe9'\n".encode("latin-1"), "nul.py": b"x = 1\0\n", "empty.py": b""}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    results = {Path(r.path).name: r for r in scan_paths([tmp_path], Config(jobs=1, cache=False))}
    assert "not UTF-8" in (results["latin1.py"].error or "")
    assert results["nul.py"].error is not None
    assert results["empty.py"] == FileResult(str(tmp_path / "empty.py"), module="empty")


def _torch_nn() -> Path:
    spec = importlib.util.find_spec("torch")  # locates torch without importing it
    assert spec is not None and spec.submodule_search_locations, "torch is a test dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "nn"


@pytest.mark.slow
def test_torch_nn_scans_without_one_internal_error(tmp_path: Path) -> None:
    nn = _torch_nn()
    shutil.copytree(nn, tmp_path / "nn", ignore=shutil.ignore_patterns("__pycache__"))
    results = scan_paths([tmp_path / "nn"], Config(cache=False))
    sources = [*(tmp_path / "nn").rglob("*.py"), *(tmp_path / "nn").rglob("*.pyi")]
    assert len(results) == len(sources)
    assert [r.error for r in results if r.error] == []
    assert [m for r in results for m in internal_errors(r)] == []
    # Two errors the scan must keep giving on the pinned torch's nn: `int(batch_sizes[0])` of a
    # PackedSequence sizes the hidden state; `torch.linalg.solve` has no ONNX conversion.
    found = {(Path(f.location.path).name, f.symbol, f.rule, f.severity) for r in results for f in r.findings}
    assert {("rnn.py", "RNNBase.get_expected_hidden_size", "tensor-to-python", "error"),
            ("parametrizations.py", "_Orthogonal.forward", "unsupported-op", "error")} <= found
