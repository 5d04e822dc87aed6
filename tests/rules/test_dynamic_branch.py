"""dynamic-branch beyond one-line cases: helpers, variable-selected methods, lookups keyed by forward numbers."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file

MEMORY = """\
import torch
from torch import nn


class Step(nn.Module):
    def forward(self, frame_idx: int, feats, memory: dict):
        out = memory.get(frame_idx - 1)
        if out is None:
            return feats
        return feats + out
"""

SELECTED = """\
import torch
from torch import nn


class Layer(nn.Module):
    def forward(self, x, dac=False):
        fn = self.forward_pre if self.pre_norm else self.forward_post
        return fn(x, dac=dac)

    def forward_pre(self, x, dac=False):
        if dac:
            x = x[: x.shape[0] // 2]
        return self._gate(x)

    def forward_post(self, x, dac=False):
        return x

    def _gate(self, y):
        return y * 2 if y.mean() > 0 else y
"""


def _findings(tmp_path: Path, source: str, exporter: str = "both") -> list[tuple[int, str, str]]:
    path = tmp_path / "m.py"
    path.write_text(source)
    result = scan_file(path, Config(select=("dynamic-branch",), exporter=exporter))  # type: ignore[arg-type]
    return [(f.location.line, f.severity, f.symbol) for f in result.findings]


def test_lookup_keyed_by_a_forward_number_is_wrong_under_legacy_only(tmp_path: Path) -> None:
    assert _findings(tmp_path, MEMORY, "both") == [(8, "error", "Step.forward")]
    assert _findings(tmp_path, MEMORY, "dynamo") == [(8, "warning", "Step.forward")]


def test_methods_selected_through_a_variable_and_helpers_are_followed(tmp_path: Path) -> None:
    assert _findings(tmp_path, SELECTED) == [
        (7, "info", "Layer.forward"),
        (11, "warning", "Layer.forward_pre"),
        (19, "error", "Layer._gate"),
    ]


PREDICATES = """\
import torch
from torch import nn


class M(nn.Module):
    def _weights_changed(self):
        return self.version != 0

    def _scale(self, x):
        return x.abs().max()

    def forward(self, x):
        if torch.backends.mha.get_fastpath_enabled():
            x = x + 1
        if x.is_nested or self._weights_changed():
            x = x * 2
        if self._scale(x) > 1:
            x = x / 2
        return x
"""


def test_runtime_queries_and_method_return_values(tmp_path: Path) -> None:
    # torch runtime queries, tensor `is_*` attributes and methods returning Python values are
    # configuration (info); a method returning a tensor still makes a data-dependent branch.
    found = _findings(tmp_path, PREDICATES)
    assert [(line, sev) for line, sev, _ in found if sev == "error"] == [(17, "error")]
    assert all(sev != "error" for line, sev, _ in found if line in (13, 15))


IMAGE_SIZES = """\
import torch
import torchvision.transforms.functional as F
from torchvision.transforms.functional import get_image_size
from torch import nn


class CenterCropOrPad(nn.Module):
    def forward(self, img):
        _, height, width = F.get_dimensions(img)
        w, h = get_image_size(img)
        if self.size > width or self.size > h:
            img = F.pad(img, [1, 1, 1, 1])
        if img.sum() > 0:
            img = img * 2
        return img
"""


def test_torchvision_size_helpers_give_shapes_not_tensor_values(tmp_path: Path) -> None:
    assert _findings(tmp_path, IMAGE_SIZES) == [(11, "warning", "CenterCropOrPad.forward"),
                                                (13, "error", "CenterCropOrPad.forward")]
