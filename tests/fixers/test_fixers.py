"""Each fixer on its own test modules: golden wrapper sources, then the onnxruntime round trip.

Golden pairs live in `tests/fixers/<rule_name>/<case>.in.py` (the user's module, with `make()`)
and `<case>.out.py` (the wrapper `exportlint fix --rule <rule>` writes next to it).
Regenerate them after an intended change with `EXPORTLINT_UPDATE_GOLDEN=1 pytest tests/fixers`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from exportlint.fixers.pipeline.build import build_target, plan_fixes
from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.pipeline.run import fix_target
from exportlint.fixers.wrapper.render import render_wrapper
from exportlint.progress import STEP_FILE_ENV
from exportlint.report.fix_json import fix_report_data

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = sorted(HERE.glob("*/*.in.py"))
# Options per case beyond the rule of its directory.
# Every case is verified with both exporters unless it says otherwise here.
EXTRA: dict[str, dict[str, Any]] = {
    "cond_modules": {"exporter": "dynamo"},  # torch.cond: the legacy exporter cannot trace it
    "two_heads": {"exporter": "dynamo"},
    "fft_filter": {"exporter": "dynamo"},  # FFTs: dynamo converts them; nothing to rewrite
    "shape_branch": {"dynamic": {"x": {"0": "x_dim0", "1": "x_dim1"}}},  # the shape test pins axis 0, axis 1 stays
    # NOTE: a `while` left by `break` on tensor data is reported by dynamic-loop and by
    # dynamic-branch (at the `if`); the masked-loop rewrite is the dynamic-branch fixer's.
    "greedy_steps": {"rules": ("dynamic-loop", "dynamic-branch")},
    "greedy_prefix": {"rules": ("dynamic-loop", "dynamic-branch")},
    "mean_shift": {"rules": ("dynamic-branch", "unsupported-op")},  # the loop, and cdist inside it
}


def _rule(case: Path) -> str:
    return case.parent.name.replace("_", "-")


def _name(case: Path) -> str:
    return case.name.removesuffix(".in.py")


def _request(case: Path, out: Path, **changes: Any) -> FixRequest:
    options = {"rules": (_rule(case),), "exporter": "both", **EXTRA.get(_name(case), {}), **changes}
    options.setdefault("target", f"{case.relative_to(ROOT).as_posix()}:make")
    return FixRequest(out=str(out), name=_name(case), cwd=str(ROOT), **options)


def render_case(case: Path) -> str:
    request = _request(case, case.parent)
    built = build_target(request.target, ROOT)
    return render_wrapper(plan_fixes(built, request)[0], case.parent, _name(case))


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{_name(c)}")
def test_golden_wrapper(case: Path) -> None:
    source = render_case(case)
    golden = case.with_name(f"{_name(case)}.out.py")
    if os.environ.get("EXPORTLINT_UPDATE_GOLDEN"):
        golden.write_text(source, encoding="utf-8")
    assert golden.exists(), f"missing golden file {golden.name}; run with EXPORTLINT_UPDATE_GOLDEN=1"
    assert source == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES[:2], ids=lambda c: f"{c.parent.name}/{_name(c)}")
def test_rendering_is_deterministic(case: Path) -> None:
    assert render_case(case) == render_case(case)


# ---------------------------------------------------------------- onnxruntime round trips

# What each case must show beyond "every comparison passed": extra case names, coverage.
EXPECT: dict[str, dict[str, Any]] = {
    "frame_bank": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3"}},
    "sorted_keys": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3"}},
    "capped_recent": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3"}},
    "no_memory_token": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3"}},
    "no_memory_scores": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3"}},
    "feature_and_pos": {"cases": {"memory-0", "memory-1", "memory-2", "memory-3", "memory-oldest"}},
    "nested_state": {"cases": {"memory-0", "memory-1", "memory-2"}},
    "data_where": {"both_outcomes": 2},
    "cond_modules": {"both_outcomes": 1},
    # Masked loops: the original must be seen exiting after at least this many different counts.
    "act_halting": {"both_outcomes": 1, "exit_counts": 3},
    "mean_shift": {"both_outcomes": 1, "exit_counts": 3},
    "refine_tolerance": {"both_outcomes": 1, "exit_counts": 3},
    "greedy_decode": {"both_outcomes": 1, "exit_counts": 3},
    # The counter stays a Python int (a static index); the prefix slice reads its exit count.
    "greedy_steps": {"both_outcomes": 1, "exit_counts": 4},
    "greedy_prefix": {"both_outcomes": 1, "exit_counts": 4},
    "early_return": {"both_outcomes": 1},
    "append_branch": {"both_outcomes": 1},
    "two_heads": {"both_outcomes": 1},
    # if/elif/else and nested tests: every nested test merged sees both outcomes.
    "three_heads": {"both_outcomes": 2},
    "elif_returns": {"both_outcomes": 2},
    "nested_gates": {"both_outcomes": 2},
    "skip_levels": {"both_outcomes": 1},  # `if <tensor test>: continue`
    "kept_boxes": {"both_outcomes": 1},  # a size test of a boolean-mask read is tensor data
    "hit_flags": {"both_outcomes": 1, "exit_counts": 4},  # a boolean tensor carried by a masked loop
    "class_pool": {"both_outcomes": 1},  # `if len(members) == 0: append; continue`
    "shape_branch": {"cases": {"sizes"}, "static": {"x": [0]}},
    "item_slice": {"manual": "fix with `--exporter dynamo`"},  # legacy bakes it, dynamo does not
    "named_size": {"manual": "fix with `--exporter dynamo`"},
}


def _why(report: dict[str, Any]) -> str:
    """What went wrong, short enough to survive pytest's truncation of long reprs."""
    lines = [f"manual: {m['reason']}" for m in report.get("manual", [])]
    for v in report.get("exporters", []):
        bad = [c for c in v.get("cases", []) if not c.get("ok")]
        lines.append(f"{v['exporter']}: export_ok={v['export_ok']} {v.get('export_error', '')[:500]} "
                     f"check={v.get('check_ok')} {v.get('check_error', '')[:200]} failing cases={bad[:2]}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def steps_seen() -> dict[str, list[str]]:
    """The progress steps each case's run reported (`exportlint.progress.step`), filled by `reports`."""
    return {}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory,
            steps_seen: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """Every case fixed, exported (dynamo and legacy) and verified once, in this process; as the
    JSON report's data, which is what users read."""
    out = tmp_path_factory.mktemp("fix")
    found = {}
    before = os.environ.get(STEP_FILE_ENV)
    try:
        for case in CASES:
            sink = out / f"{_name(case)}.steps"
            os.environ[STEP_FILE_ENV] = str(sink)
            found[_name(case)] = fix_report_data(fix_target(_request(case, out)), with_source=True)
            steps_seen[_name(case)] = sink.read_text(encoding="utf-8").splitlines()
    finally:
        if before is None:
            os.environ.pop(STEP_FILE_ENV, None)
        else:
            os.environ[STEP_FILE_ENV] = before
    return found


@pytest.mark.ort
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{_name(c)}")
def test_round_trip_matches_eager(case: Path, reports: dict[str, dict[str, Any]]) -> None:
    report = reports[_name(case)]
    expected_manual = EXPECT.get(_name(case), {}).get("manual")
    if expected_manual:
        assert report["ok"] is False and report["manual"], report
        assert all(expected_manual in m["reason"] for m in report["manual"])
        return
    assert report["ok"], _why(report)
    assert not report["manual"]
    both = EXTRA.get(_name(case), {}).get("exporter", "both") == "both"
    assert [v["exporter"] for v in report["exporters"]] == (["dynamo", "legacy"] if both else ["dynamo"])
    for verdict in report["exporters"]:
        assert verdict["export_ok"] and verdict["check_ok"], verdict
        names = {c["case"] for c in verdict["cases"]}
        assert {"example", "values-1", "values-2", "flipped"} <= names
        assert EXPECT.get(_name(case), {}).get("cases", set()) <= names
        for result in verdict["cases"]:
            assert result["ok"] and not result["eager_failed"], result
            for output in result["outputs"]:
                assert output["max_abs"] <= 1e-4 + 1e-3 * 10, output
    if "static" in EXPECT.get(_name(case), {}):
        assert "DYNAMIC_AXES: dict[str, dict[int, str]] = {'x': {1: 'x_dim1'}}" in report["source"]
        assert any("axis 0 of `x` was declared dynamic" in n["text"] for n in report["notes"])
    flipped = sum(1 for site in report["coverage"] if site["both"])
    assert flipped == EXPECT.get(_name(case), {}).get("both_outcomes", 0)
    exits = EXPECT.get(_name(case), {}).get("exit_counts")
    if exits:
        counts = [set(site.get("iterations", {}).values()) for site in report["coverage"]]
        assert any(len(c) >= exits for c in counts), report["coverage"]


@pytest.mark.ort
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.parent.name}/{_name(c)}")
def test_each_step_is_reported_as_it_starts(case: Path, reports: dict[str, dict[str, Any]],
                                            steps_seen: dict[str, list[str]]) -> None:
    report, seen = reports[_name(case)], steps_seen[_name(case)]
    assert seen[:2] == ["building the target", "capturing one eager forward"]
    assert f"applying the {_rule(case)} fixer" in seen
    assert seen.index("rendering the wrapper") < seen.index("building verification inputs")
    for verdict in report["exporters"]:
        exporter, cases = verdict["exporter"], verdict["cases"]
        parity = [s for s in seen if s.startswith(f"onnxruntime vs eager ({exporter})")]
        assert parity == [f"onnxruntime vs eager ({exporter}): case {k} of {len(cases)} ({c['case']})"
                          for k, c in enumerate(cases, 1)]
        assert f"exporting with {exporter}" in seen
        if parity:
            assert seen.index(f"exporting with {exporter}") < seen.index(parity[0])


@pytest.mark.ort
def test_a_nested_test_the_example_never_ran_is_merged_as_a_tensor(tmp_path: Path) -> None:
    """No stage of `make_cold`'s example passes the gate, so `self.use_refine` never ran: it is
    merged as `torch.as_tensor(self.use_refine)` (a constant), said in a note, and verified."""
    case = HERE / "dynamic_branch" / "nested_gates.in.py"
    request = _request(case, tmp_path, target=f"{case.relative_to(ROOT).as_posix()}:make_cold")
    report = fix_report_data(fix_target(request), with_source=True)
    assert report["ok"], _why(report)
    assert "pred_24 = torch.as_tensor(self.use_refine)" in report["source"]
    assert any("`self.use_refine` never ran on the example inputs" in n["text"] for n in report["notes"])


@pytest.mark.ort
def test_the_fft_filter_is_dft_matmuls_when_legacy_is_chosen(tmp_path: Path) -> None:
    """The FFT filter exports under dynamo as written (the golden run); with both exporters the
    legacy tracer has no FFT, so rfft2/irfft2 become matmuls with DFT matrices, verified on
    onnxruntime under both exporters."""
    case = HERE / "unsupported_op" / "fft_filter.in.py"
    report = fix_report_data(fix_target(_request(case, tmp_path, exporter="both")), with_source=True)
    assert report["ok"], _why(report)
    assert not report["manual"]
    assert [v["exporter"] for v in report["exporters"]] == ["dynamo", "legacy"]
    worst = max(o["max_abs"] for v in report["exporters"] for c in v["cases"] for o in c["outputs"])
    assert worst < 1e-5, worst
    assert "torch.fft" not in report["source"].split("class FrequencyFilterForExport")[1]
    assert 'spectrum = _rfftn_pairs(x, dim=(-2, -1), norm="ortho")' in report["source"]
    assert any("the FFTs (lines 17, 19) are matmuls" in n["text"] for n in report["notes"])
