"""hardcoded-device: literal accelerator devices in forward and __init__, guards left alone."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import ExporterChoice, Finding

HEAD = "import torch\nfrom torch import nn\n\n\n"


def _scan(tmp_path: Path, body: str, exporter: ExporterChoice = "both") -> list[Finding]:
    path = tmp_path / "case.py"
    path.write_text(HEAD + body)
    result = scan_file(path, Config(select=("EXL303",), exporter=exporter))
    assert result.error is None, result.error
    return list(result.findings)


def test_init_register_buffer_on_cuda_means_the_module_cannot_be_built(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        '        self.register_buffer("b", torch.zeros(3, device="cuda"))\n\n'
        "    def forward(self, x):\n"
        "        return x + self.b\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.location.line == 8 and f.symbol == "M.__init__"
    assert "cannot even be built" in f.message


def test_cuda_inside_an_availability_guard_is_not_reported(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, x):\n"
        "        if torch.cuda.is_available():\n"
        "            x = x.cuda()\n"
        "        if x.is_cuda:\n"
        "            torch.cuda.synchronize()\n"
        "        return x\n"
    )
    assert _scan(tmp_path, body) == []


def test_indexed_to_exports_under_dynamo_but_fails_under_legacy(tmp_path: Path) -> None:
    body = 'class M(nn.Module):\n    def forward(self, x):\n        return x.to(torch.device("cuda", 0))\n'
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("ok", "fails")
    assert [g.severity for g in _scan(tmp_path, body, "dynamo")] == ["info"]
    assert [g.severity for g in _scan(tmp_path, body, "legacy")] == ["error"]


def test_device_object_reported_once(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, x):\n"
        '        dev = torch.device("cuda")\n'
        '        y = x.to(device=torch.device("mps"))\n'
        "        return x.to(dev) + y\n"
    )
    found = [(f.location.line, f.message.split("`")[1]) for f in _scan(tmp_path, body)]
    assert found == [(7, 'torch.device("cuda")'), (8, 'x.to(device=torch.device("mps"))')]


def test_helper_reached_from_forward_is_checked(tmp_path: Path) -> None:
    body = (
        "def offload(t):\n"
        "    return t.pin_memory()\n\n\n"
        "class M(nn.Module):\n"
        "    def forward(self, x):\n"
        "        return offload(x)\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.location.line == 6 and "pinned host memory" in f.message
