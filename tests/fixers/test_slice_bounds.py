"""Slice bounds from `int(t)` / `.item()`: the fixed ONNX follows the data's length, both exporters.

The verification cases perturb values; this test also feeds masks whose longest row differs
from the example's, so the sliced length itself changes between runs of one ONNX file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.pipeline.run import fix_target
from exportlint.report.fix_json import fix_report_data

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "tests" / "fixers" / "tensor_to_python" / "trim_batch.in.py"


@pytest.mark.ort
@pytest.mark.slow
def test_trimmed_length_follows_the_mask(tmp_path: Path) -> None:
    import onnxruntime as ort

    request = FixRequest(target=f"{CASE.relative_to(ROOT).as_posix()}:make", out=str(tmp_path),
                         name="trim", cwd=str(ROOT), exporter="both")
    report = fix_report_data(fix_target(request))
    assert report["verified"], report["manual"]
    spec = importlib.util.spec_from_file_location("trim_case", CASE)
    assert spec is not None and spec.loader is not None
    user = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(user)
    model, (frames, _) = user.make()
    for verdict in report["exporters"]:
        session = ort.InferenceSession(verdict["onnx_path"], providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        for longest in (1, 5, 6):
            valid = torch.zeros(2, 6, dtype=torch.bool)
            valid[0, :longest] = True
            valid[1, : max(longest - 1, 1)] = True
            expected = model(frames, valid).detach().numpy()
            got = session.run(None, dict(zip(names, (frames.numpy(), valid.numpy()))))[0]
            assert got.shape == expected.shape == (2, longest, 8), verdict["exporter"]
            assert abs(got - expected).max() < 1e-5
