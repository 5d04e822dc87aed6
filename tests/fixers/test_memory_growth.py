"""A gathering that walks the memory's frames gets as many slots as the code itself takes
(`sorted(bank.items())[: self.keep]`), not the example's count: a memory with more frames than
the example goes through the generated export_inputs and matches eager on onnxruntime."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.pipeline.run import fix_target

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASE = HERE / "dict_access" / "capped_recent.in.py"


def _load(path: Path, name: str):  # noqa: ANN202 - a generated module
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.ort
def test_a_capped_walk_gets_the_code_cap_and_takes_a_bigger_memory(tmp_path: Path) -> None:
    import onnxruntime as ort
    import torch

    request = FixRequest(target=f"{CASE.relative_to(ROOT).as_posix()}:make", out=str(tmp_path),
                         name="capped", cwd=str(ROOT), rules=("dict-access",), exporter="dynamo")
    result = fix_target(request)
    assert result.verification is not None and result.verification.ok
    wrapper = _load(tmp_path / "capped_export.py", "capped_export_growth")
    assert len(wrapper.MEMORY_SLOT_KEYS) == 3  # the code's `self.keep`, the example had 2 frames
    original = _load(CASE, "capped_recent_original")
    model, (tokens, _) = original.make()
    session = ort.InferenceSession(str(tmp_path / "capped.onnx"))
    for frames in (0, 1, 5, 9):
        bank = {t: torch.randn(1, 2, 8) for t in range(frames)}
        inputs = wrapper.CappedRecallExport(model).export_inputs(tokens, bank)
        feeds = {i.name: t.numpy() for i, t in zip(session.get_inputs(), inputs)}
        got = torch.from_numpy(session.run(None, feeds)[0])
        assert torch.allclose(got, model(tokens, bank), atol=1e-5), frames
