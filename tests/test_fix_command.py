"""`exportlint fix` through the CLI on the bundled SAM3-like examples (the acceptance of issue 4)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from exportlint.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAM3 = "examples/sam3_like"


def _fix(tmp: Path, target: str, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["fix", target, "--out", str(tmp), "--format", "json", *extra])
    name = Path(target.split(":")[0]).stem
    report_path = tmp / f"{name}_report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    return code, report


def _cases(report: dict[str, Any], exporter: str = "dynamo") -> dict[str, dict[str, Any]]:
    verdict = next(v for v in report["exporters"] if v["exporter"] == exporter)
    return {c["case"]: c for c in verdict["cases"]}


@pytest.fixture(scope="module")
def tracker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[str, Any]]:
    out = tmp_path_factory.mktemp("tracker")
    code, report = _fix(out, f"{SAM3}/tracker.py:make", "--exporter", "both")
    return out, code, report


@pytest.mark.ort
def test_encoder_layer_exports_and_matches_eager(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["fix", f"{SAM3}/encoder.py:make", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "encoder_report.json").read_text())
    assert code == 0 and report["ok"]
    printed = capsys.readouterr().out
    assert "PASSED (rtol=0.001, atol=0.0001)" in printed and "max abs" in printed
    frozen = " ".join(n["text"] for n in report["notes"])
    assert "`self.pre_norm` is True" in frozen and "`dac` is False" in frozen
    fixed = [f for f in report["findings"] if f["rule"] == "dynamic-branch"]
    assert fixed and all(f["fix"]["fixer"] == "DynamicBranchFixer" for f in fixed)
    assert all(c["ok"] for c in _cases(report).values())
    assert all(c["ok"] for c in _cases(report, "legacy").values())  # both exporters by default
    assert {p.name for p in tmp_path.iterdir()} == {
        "encoder_export.py", "encoder.onnx", "encoder.legacy.onnx", "encoder_report.json"}


@pytest.mark.ort
def test_segmentation_head_exports_and_matches_eager(tmp_path: Path) -> None:
    code, report = _fix(tmp_path, f"{SAM3}/segmentation_head.py:make")
    assert code == 0 and report["ok"]
    wrapper = (tmp_path / "segmentation_head_export.py").read_text()
    assert "backbone_feats_0: Tensor," in wrapper and 'return out["pred_masks"]' in wrapper
    assert report["output_names"] == ["pred_masks"]


@pytest.mark.ort
def test_tracker_memory_matches_eager_for_every_frame_count(
    tracker: tuple[Path, int, dict[str, Any]],
) -> None:
    _, code, report = tracker
    assert code == 0 and report["ok"]
    for exporter in ("dynamo", "legacy"):
        cases = _cases(report, exporter)
        for count in range(4):  # 0, 1, ... the maximum (3 memory frames)
            case = cases[f"memory-{count}"]
            assert case["ok"] and not case["eager_failed"], case
            assert case["outputs"][0]["max_abs"] < 1e-5


@pytest.mark.ort
def test_verification_catches_a_wrapper_that_ignores_the_mask(
    tracker: tuple[Path, int, dict[str, Any]],
) -> None:
    out, _, _ = tracker
    from exportlint.fixers.pipeline.build import build_target, plan_fixes
    from exportlint.fixers.pipeline.files import import_wrapper
    from exportlint.fixers.pipeline.request import FixRequest
    from exportlint.fixers.pipeline.verification import verify_wrapper

    broken = out / "broken_export.py"
    source = (out / "tracker_export.py").read_text()
    broken.write_text(source.replace('memory["memory_valid"],', 'memory["memory_valid"] | True,'))
    request = FixRequest(target=f"{SAM3}/tracker.py:make", out=str(out), cwd=str(ROOT))
    built = build_target(request.target, ROOT)
    plan, _ = plan_fixes(built, request)
    verdict = verify_wrapper(plan, built, import_wrapper(broken, "broken"), out, "broken", request)
    cases = {c.case: c.ok for c in verdict.exporters[0].cases}
    assert not verdict.ok
    assert cases["memory-3"] and not cases["memory-0"] and not cases["memory-1"]


@pytest.mark.ort
def test_generated_wrapper_runs_as_a_script(tracker: tuple[Path, int, dict[str, Any]]) -> None:
    out, _, _ = tracker
    script = out / "tracker_export.py"
    (out / "tracker.onnx").unlink()
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (out / "tracker.onnx").stat().st_size > 0


def test_generated_wrapper_shares_the_original_weights(
    tracker: tuple[Path, int, dict[str, Any]],
) -> None:
    out, _, _ = tracker
    spec = importlib.util.spec_from_file_location("tracker_export_shared", out / "tracker_export.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    user = module.make()[0]
    view = module.TrackerMemoryStepExport(user).model
    assert view.maskmem_tpos_enc is user.maskmem_tpos_enc
    assert view.memory_attention.cross_attn is user.memory_attention.cross_attn
    assert type(view.memory_attention).__name__ == "MemoryAttentionForExport"
    assert type(user) is module.TrackerMemoryStep
    assert type(user.memory_attention) is module.MemoryAttention


@pytest.mark.ort
def test_rerun_is_byte_identical_and_needs_force(tracker: tuple[Path, int, dict[str, Any]],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, _, _ = tracker
    before = (out / "tracker_export.py").read_bytes()
    assert main(["fix", f"{SAM3}/tracker.py:make", "--out", str(out), "--format", "json"]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert main(["fix", f"{SAM3}/tracker.py:make", "--out", str(out), "--diff"]) == 0
    assert "is up to date" in capsys.readouterr().out
    assert main(["fix", f"{SAM3}/tracker.py:make", "--out", str(out), "--force",
                 "--format", "json"]) == 0
    assert (out / "tracker_export.py").read_bytes() == before


def test_diff_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    code = main(["fix", f"{SAM3}/encoder.py:make", "--rule", "dynamic-branch", "--out", str(out),
                 "--diff"])
    assert code == 0 and not out.exists()
    printed = capsys.readouterr().out
    assert printed.startswith(f"# would write {out / 'encoder_export.py'}")
    assert "class TransformerEncoderLayerForExport(TransformerEncoderLayer):" in printed


@pytest.mark.ort
def test_detection_head_reports_manual_work_and_keeps_files(tmp_path: Path) -> None:
    code, report = _fix(tmp_path, "examples/other/detection_head.py:make")
    assert code == 1 and report["ok"] is False
    reasons = " ".join(m["reason"] for m in report["manual"])
    # The early return on `scores.max()` is merged; the rest selects a data-dependent count.
    # `keep.nonzero()` (line 33) is no manual work: both exporters convert NonZero faithfully.
    # The count's conversion (line 36) is the blocker; the slice it bounds (37) is not a second.
    assert "`keep.sum().item()` gives Python sizes or indices" in reasons
    assert "fix with `--exporter dynamo`" in reasons
    assert {m["line"] for m in report["manual"]} == {36}
    assert report["checked"] is True and report["verified"] is False
    assert (tmp_path / "detection_head_export.py").exists()


def test_unknown_rule_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fix", f"{SAM3}/encoder.py:make", "--rule", "no-such-rule", "--out",
                 str(tmp_path), "--diff"]) == 2
    assert "no fixer for no-such-rule" in capsys.readouterr().err


EMPTY_SIDE = '''\
import torch
from torch import nn


class ClassPeaks(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(4, 4)

    def forward(self, feats, labels):
        peaks = []
        for c in range(3):
            members = feats[labels == c]
            if len(members) == 0:
                peaks.append(torch.zeros_like(feats[0]))
                continue
            peaks.append(self.embed(members).amax(dim=0))
        return torch.stack(peaks, dim=0)


def make():
    torch.manual_seed(0)
    return ClassPeaks(), (torch.randn(5, 4), torch.tensor([0, 2, 0, 2, 2]))
'''


@pytest.mark.ort
def test_a_merged_side_that_raises_on_the_example_names_its_wrapper_line(tmp_path: Path) -> None:
    """The skipped class (1) has no members: the merged side's amax(dim=0) raises when the legacy
    tracer runs it on the example. The run fails, and says where and why, in one line."""
    source = tmp_path / "peaks.py"
    source.write_text(EMPTY_SIDE)
    code, report = _fix(tmp_path / "out", f"{source}:make", "--exporter", "legacy")
    assert code != 0 and report["verified"] is False
    error = next(v for v in report["exporters"] if v["exporter"] == "legacy")["export_error"]
    wrapper = (tmp_path / "out" / "peaks_export.py").read_text().splitlines()
    line = int(error.split("peaks_export.py:")[1].split(":")[0])
    assert "amax(dim=0)" in wrapper[line - 1] and "_if_false" in wrapper[line - 1]
    assert "both sides of a branch merged with torch.where run on every input" in error
    assert "\n" not in error
