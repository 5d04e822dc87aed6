"""variable-length-cat beyond one-line cases: lists grown in loops and branches, re-initialised lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Finding

TRACKER = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, frame_idx: int, x, memory: dict):
        picked = []
        for t in range(1, self.num_mem):
            out = memory.get(frame_idx - t, None)
            if out is None:
                continue
            picked.append((t, out))
        prompt, pos = [], []
        for t, prev in picked:
            prompt.append(prev["features"])
            pos.append(prev["pos"] + self.tpos[t])
        return torch.cat(prompt, dim=0) + torch.cat(pos, dim=0)
"""

PER_LAYER = """\
import torch
from torch import nn


class Head(nn.Module):
    def forward(self, feats: list[torch.Tensor], dac: bool = False):
        if feats[0].shape[0] > 1:
            picked = []
            for feat in feats:
                picked.append(feat * 2)
        else:
            picked = [feat.clone() for feat in feats]
        outs = [self.stem(picked[0])]
        for layer in self.layers:
            outs.append(layer(outs[-1]))
        if dac:
            outs.append(outs[0])
        return torch.cat(picked + outs[:2], dim=1), torch.stack(outs)
"""

SPLIT = """\
import torch
from torch import nn


class Split(nn.Module):
    def forward(self, x):
        chunks = x.split(4, dim=1)
        halves = torch.chunk(x, 2, dim=1)
        return torch.cat([c * 2 for c in chunks], dim=1) + torch.cat(halves, dim=1)
"""


def _scan(tmp_path: Path, source: str, exporter: str = "both") -> list[Finding]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("variable-length-cat",), exporter=exporter))  # type: ignore[arg-type]
    assert result.error is None
    return list(result.findings)


def test_cats_of_a_list_filled_after_a_layout_continue_name_the_continue(tmp_path: Path) -> None:
    findings = _scan(tmp_path, TRACKER)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(17, 15, "error"), (17, 42, "error")]
    assert all("`continue` at line 11" in f.message for f in findings)
    assert [f.severity for f in _scan(tmp_path, TRACKER, exporter="dynamo")] == ["warning", "warning"]


def test_per_layer_lists_and_lists_fixed_by_inputs_are_not_reported_but_a_flag_append_is(tmp_path: Path) -> None:
    findings = _scan(tmp_path, PER_LAYER)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(18, 52, "warning")]
    assert "`if dac` at line 16" in findings[0].message and "forward argument" in findings[0].message


def test_split_by_a_size_follows_the_shape_but_chunk_by_a_constant_does_not(tmp_path: Path) -> None:
    findings = _scan(tmp_path, SPLIT)
    assert [(f.location.line, f.location.column, f.severity) for f in findings] == [(9, 15, "warning")]
    assert "tensor shape" in findings[0].message


def _loop(body: str, head: str = "range(3)") -> str:
    lines = "\n".join("            " + line for line in body.strip("\n").splitlines())
    return ("import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x):\n"
            f"        outs = []\n        for i in {head}:\n{lines}\n        return torch.cat(outs)\n")


BALANCED = {
    "continue after an append": "if x[i].sum() > 0:\n    outs.append(x[i])\n    continue\nouts.append(-x[i])",
    "if and else": "if x[i].sum() > 0:\n    outs.append(x[i])\nelse:\n    outs.append(-x[i])",
    "elif chain": "if x[i].sum() > 0:\n    outs.append(x[i])\nelif x[i].mean() > 1:\n    outs.append(x[i] * 2)\n"
                  "else:\n    outs.append(-x[i])",
    "one-line suite": "if x[i].sum() > 0: outs.append(x[i]); continue\nouts.append(-x[i])",
    "raise on one side": "if x[i].sum() > 9:\n    raise ValueError('too big')\nouts.append(x[i])",
}
UNBALANCED = {
    "append under the test only": ("if x[i].sum() > 0:\n    outs.append(x[i])", 9),
    "continue before the append": ("if x[i].sum() > 0:\n    continue\nouts.append(x[i])", 10),
    "two items on one side": ("if x[i].sum() > 0:\n    outs.append(x[i]); outs.append(x[i])\n    continue\n"
                              "outs.append(x[i])", 9),
    "break after an append": ("if x[i].sum() > 0:\n    outs.append(x[i])\n    break\nouts.append(x[i])", 9),
    "extend on one side": ("if x[i].sum() > 0:\n    outs.extend([x[i], x[i]])\nelse:\n    outs.append(x[i])", 9),
}


@pytest.mark.parametrize("case", sorted(BALANCED))
def test_a_list_every_path_appends_to_equally_has_the_trip_count_as_length(tmp_path: Path, case: str) -> None:
    assert _scan(tmp_path, _loop(BALANCED[case])) == []
    # the trip count still decides the length: a shape-sized loop stays a shape warning
    findings = _scan(tmp_path, _loop(BALANCED[case], head="range(x.shape[0])"))
    assert [(f.severity, "tensor shape" in f.message) for f in findings] == [("warning", True)]


@pytest.mark.parametrize("case", sorted(UNBALANCED))
def test_a_list_paths_append_to_unequally_stays_data_decided(tmp_path: Path, case: str) -> None:
    body, test_line = UNBALANCED[case]
    findings = _scan(tmp_path, _loop(body))
    assert [(f.location.line, f.severity) for f in findings] == [(10 + body.count("\n"), "error")]
    assert f"at line {test_line}" in findings[0].message and "tensor values" in findings[0].message


@pytest.mark.ort
def test_legacy_keeps_the_length_of_an_equally_appended_list_and_bakes_only_the_branch() -> None:
    """Measured: the balanced loop's concatenation has the eager length on an input that flips the
    tests; only the values of the baked branch differ (dynamic-branch's finding, not this rule's)."""
    import io
    import warnings

    import onnxruntime as ort
    import torch

    namespace: dict[str, object] = {}
    exec(compile(_loop(BALANCED["continue after an append"]), "m.py", "exec"), namespace)
    model = namespace["M"]()  # type: ignore[operator]
    example = torch.tensor([[1.0, 2.0], [-1.0, -2.0], [3.0, 1.0]])
    flipped = -example
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), buffer, dynamo=False)
    session = ort.InferenceSession(buffer.getvalue())
    name = session.get_inputs()[0].name
    got = session.run(None, {name: flipped.numpy()})[0]
    expected = model(flipped).numpy()
    assert got.shape == expected.shape == (6,)
    assert not (abs(got - expected) < 1e-6).all()
