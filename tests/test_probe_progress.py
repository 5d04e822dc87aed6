"""`probe` shows the step each target has reached: the child reports steps, the parent draws them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from exportlint.probe.command import probe_with_steps
from exportlint.probe.options import ProbeOptions
from exportlint.probe.runner import probe_one
from exportlint.progress import STEP_FILE_ENV, StepLine, step, step_scope

CASES = Path(__file__).parent / "probe_cases"


def test_step_line_draws_in_place_and_erases_itself() -> None:
    sink = io.StringIO()
    line = StepLine(sink, total=2)
    line.show("m.py:make", "exporting with dynamo")
    line.target_done("m.py:make")
    line.finish()
    text = sink.getvalue()
    draws = text.split("\r")[1:]
    assert draws[0].startswith("exportlint: probing m.py:make: exporting with dynamo (")
    assert draws[0].endswith("s)  [0/2 done]\x1b[K")
    assert "m.py:make: done" in draws[1] and "[1/2 done]" in draws[1]
    assert draws[-1] == "\x1b[K"  # erased before the report


def test_finish_without_a_step_writes_nothing() -> None:
    sink = io.StringIO()
    StepLine(sink).finish()
    assert sink.getvalue() == ""


def test_steps_go_to_the_named_file_with_their_scope(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    step("nobody listens")  # no file named: nothing happens
    sink = tmp_path / "steps"
    monkeypatch.setenv(STEP_FILE_ENV, str(sink))
    step("exporting with legacy")
    with step_scope("submodule enc (1 of 2)"):
        step("onnxruntime parity case 2 of 6 (values-1, dynamo)")
    assert sink.read_text().splitlines() == [
        "exporting with legacy", "submodule enc (1 of 2): onnxruntime parity case 2 of 6 (values-1, dynamo)"]


def test_the_child_reports_its_steps_to_the_parent() -> None:
    seen: list[str] = []
    report, _ = probe_one(ProbeOptions(f"{CASES / 'bad_targets.py'}:raises", timeout=60), on_step=seen.append)
    assert report.error and seen == ["building the module"]


def test_a_long_target_gives_way_to_the_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    sink = io.StringIO()
    StepLine(sink).show("/very/long/path/to/the/models/of/a/project/model.py:make", "exporting with dynamo")
    drawn = sink.getvalue().removeprefix("\r").removesuffix("\x1b[K")
    assert len(drawn) <= 69 and drawn.startswith("exportlint: probing ...")
    assert drawn.endswith("model.py:make: exporting with dynamo (0s)")


def test_probe_with_steps_shows_the_target_and_erases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    sink = io.StringIO()
    target = f"{CASES / 'bad_targets.py'}:raises"
    [(report, _)] = probe_with_steps([ProbeOptions(target, timeout=60)], 1, StepLine(sink))
    assert report.error
    text = sink.getvalue()
    assert f"probing {target}: building the module" in text and f"probing {target}: done" in text
    assert text.endswith("\r\x1b[K")


@pytest.mark.ort
def test_a_real_probe_reports_captures_exports_and_parity_cases() -> None:
    seen: list[str] = []
    report, _ = probe_one(ProbeOptions(f"{CASES / 'while_tensor.py'}:make", depth=0), on_step=seen.append)
    assert not report.error
    assert seen[:3] == ["building the module", "running the eager forward", "capturing with torch.export"]
    assert "exporting with dynamo" in seen and "exporting with legacy" in seen
    cases = [s for s in seen if s.startswith("onnxruntime parity case ") and s.endswith(", legacy)")]
    total = len(report.parity) - sum(p.exporter == "dynamo" for p in report.parity)
    assert cases[0] == f"onnxruntime parity case 1 of {total} (example, legacy)" and len(cases) == total
