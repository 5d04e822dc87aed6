"""unsupported-op: complex values, FFT, operator table, randomness and autograd.Function per exporter."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import ExporterChoice, Finding

HEAD = "import random\n\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\nfrom torch import nn\n\n\n"

ROPE = """\
def make_cis(n):
    angles = torch.outer(torch.arange(n, dtype=torch.float32), torch.ones(4))
    cis = torch.polar(torch.ones_like(angles), angles)
    return torch.cat([cis, cis], dim=-1)


class Rope(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("freqs", make_cis(n))
        self.unused = make_cis(n)
        self.scale = torch.ones(3)

    def forward(self, x):
        f = self.freqs.repeat(2, 1)
        return torch.view_as_real(f).flatten(-2) * x * self.scale
"""


def _scan(tmp_path: Path, body: str, exporter: ExporterChoice = "both") -> list[Finding]:
    path = tmp_path / "case.py"
    path.write_text(HEAD + body)
    result = scan_file(path, Config(select=("EXL302",), exporter=exporter))
    assert result.error is None, result.error
    return list(result.findings)


def test_complex_buffer_from_a_helper_and_repeat_on_it(tmp_path: Path) -> None:
    found = {(f.location.line, f.symbol): f for f in _scan(tmp_path, ROPE)}
    buffer, repeat = found[(18, "Rope.__init__")], found[(23, "Rope.forward")]
    assert (buffer.outcomes.dynamo, buffer.outcomes.legacy) == ("ok", "fails")
    assert "self.freqs" in buffer.message
    assert (repeat.outcomes.dynamo, repeat.outcomes.legacy) == ("fails", "fails")
    # make_cis runs only in __init__; `self.unused` is complex but never read in forward
    assert len(found) == 2


def _one(tmp_path: Path, line: str, exporter: ExporterChoice = "both") -> Finding:
    body = f"class M(nn.Module):\n    def forward(self, x, y):\n        return {line}\n"
    [f] = _scan(tmp_path, body, exporter)
    return f


@pytest.mark.parametrize(
    ("line", "dynamo", "legacy"),
    [
        ("torch.cdist(x, y)", "fails", "ok"),
        ("torch.histc(x, bins=4)", "ok", "fails"),
        ("torch.searchsorted(x, y)", "fails", "fails"),
        ("F.interpolate(x, scale_factor=0.5, mode='bilinear', antialias=True)", "ok", "fails"),
        ("torch.view_as_real(torch.zeros(3, dtype=torch.complex64) + x)", "fails", "fails"),
        ("x + torch.from_numpy(np.random.randn(3))", "wrong", "wrong"),
        ("torch.fft.fftn(x).abs()", "ok", "fails"),
    ],
)
def test_measured_outcomes(tmp_path: Path, line: str, dynamo: str, legacy: str) -> None:
    f = _one(tmp_path, line)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == (dynamo, legacy), f.message


def test_fft_is_info_when_only_dynamo_counts(tmp_path: Path) -> None:
    assert _one(tmp_path, "torch.fft.rfft(x).abs()", "dynamo").severity == "info"
    assert _one(tmp_path, "torch.fft.rfft(x).abs()", "legacy").severity == "error"


def test_complex_dtype_in_a_comparison_is_not_reported(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x):\n        assert x.dtype != torch.cfloat\n        return x\n"
    assert _scan(tmp_path, body) == []


def test_autograd_function_imported_base_is_info(tmp_path: Path) -> None:
    body = (
        "from torch.autograd import Function\n\n\n"
        "class Clamp(Function):\n    @staticmethod\n    def forward(ctx, x):\n        return x.clamp(min=0)\n\n\n"
        "class M(nn.Module):\n    def forward(self, x):\n        return Clamp.apply(x)\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.severity == "info" and "trace its forward" in f.message


def test_tensor_method_needs_a_tensor_receiver(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n    def forward(self, x):\n"
        "        stats = {'a': 1}\n        m = self.cfg.median()\n        return x.median(dim=0)[0] * m\n"
    )
    assert [f.location.line for f in _scan(tmp_path, body)] == [13]


HELPERS = """\
from functools import partial


def axial_cis(n):
    angles = torch.outer(torch.arange(n, dtype=torch.float32), torch.ones(4))
    return torch.polar(torch.ones_like(angles), angles)


def broadcast(freqs, x):
    return freqs.view(1, *freqs.shape)


def rotate(xq, freqs, repeat):
    xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))
    freqs = broadcast(freqs, xq_)
    if repeat:
        freqs = freqs.unsqueeze(2).expand(-1, -1, 2, -1).flatten(2, 3)
    return torch.view_as_real(xq_ * freqs).flatten(-2)


class Rope(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.compute = partial(axial_cis)
        self.table = self.compute(n)

    def forward(self, x):
        return rotate(x, self.table, True)
"""


def test_complex_followed_into_helper_parameters_and_through_partial(tmp_path: Path) -> None:
    found = [(f.location.line, f.message.split("`")[1], f.outcomes.dynamo) for f in _scan(tmp_path, HELPERS)]
    assert (25, "freqs.unsqueeze(2)", "fails") in found  # only the first op that breaks on `.unsqueeze().expand()`
    assert not any(src.startswith("freqs.unsqueeze(2).expand") for _, src, _ in found)
    assert (33, "self.table", "ok") in found  # stored in __init__ through self.compute = partial(axial_cis)


def test_cis_parameter_of_a_complex_helper_without_local_callers(tmp_path: Path) -> None:
    body = (
        "def apply_rope(xq, freqs_cis):\n"
        "    xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))\n"
        "    return torch.view_as_real(xq_ * freqs_cis.repeat(2, 1)).flatten(-2)\n\n\n"
        "class M(nn.Module):\n    def forward(self, x, f):\n        return apply_rope(x, f.float())\n"
    )
    # `f.float()` is real at the only call site here, so `freqs_cis` is not complex
    assert [f.message.split("`")[1][:22] for f in _scan(tmp_path, body)] == ["torch.view_as_complex("]
    lone = body.replace("class M(nn.Module):\n    def forward(self, x, f):\n        return apply_rope(x, f.float())\n", "")
    assert _scan(tmp_path, lone) == []  # not reachable from any forward in this file


def test_a_function_stored_on_self_through_partial_is_followed(tmp_path: Path) -> None:
    """SAM3's RoPEAttention: `self.compute_cis = partial(compute_axial_cis, ...)` (rope.py)."""
    from exportlint.scan import scan_paths

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "rope.py").write_text(HEAD + (
        "def axial_cis(dim, end, theta=10000.0):\n"
        "    freqs = torch.outer(torch.arange(end).float(), torch.ones(dim // 2) / theta)\n"
        "    return torch.polar(torch.ones_like(freqs), freqs)\n"))
    (pkg / "attention.py").write_text(HEAD + (
        "from functools import partial\n\n"
        "from pkg.rope import axial_cis\n\n\n"
        "class RoPEAttention(nn.Module):\n"
        "    def __init__(self, dim):\n"
        "        super().__init__()\n"
        "        self.compute_cis = partial(axial_cis, dim=dim)\n\n"
        "    def forward(self, x):\n"
        "        cis = self.compute_cis(end=x.shape[-2])\n"
        "        return x * torch.view_as_real(cis).flatten(-2)\n"))
    results = scan_paths([pkg], Config(select=("EXL302",), cache=False))
    found = [(Path(f.location.path).name, f.location.line, f.outcomes.legacy)
             for r in results for f in r.findings]
    assert ("rope.py", 11, "fails") in found  # torch.polar, reached only through the partial


def test_a_helper_is_complex_only_for_complex_arguments(tmp_path: Path) -> None:
    """SAM3's rope.py: `reshape_for_broadcast` gets complex `freqs_cis` from one caller and real
    cos/sin tables from another; `.repeat` on the real ones is no complex op."""
    body = (
        "def reshape(freqs, x):\n"
        "    return freqs.view(1, *freqs.shape)\n\n\n"
        "def rotate_complex(xq, freqs):\n"
        "    xq_ = torch.view_as_complex(xq.reshape(*xq.shape[:-1], -1, 2))\n"
        "    freqs = reshape(freqs, xq_)\n"
        "    return torch.view_as_real(xq_ * freqs.repeat(1, 2, 1)).flatten(-2)\n\n\n"
        "def rotate_real(xq, cos, sin):\n"
        "    cos = reshape(cos, xq)\n"
        "    sin = reshape(sin, xq)\n"
        "    return xq * cos.repeat(1, 2, 1) + xq * sin.repeat(1, 2, 1)\n\n\n"
        "class M(nn.Module):\n"
        "    def forward(self, x, angles):\n"
        "        cis = torch.polar(torch.ones_like(angles), angles)\n"
        "        return rotate_complex(x, cis) + rotate_real(x, angles.cos(), angles.sin())\n"
    )
    repeats = sorted(f.location.line for f in _scan(tmp_path, body) if ".repeat(" in f.message)
    assert repeats == [16]  # the complex `freqs.repeat`, not the real cos/sin at 22
