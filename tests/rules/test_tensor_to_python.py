"""tensor-to-python: the outcome follows where the Python value goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import ExporterChoice, Finding

HEAD = "import numpy as np\nimport torch\nfrom torch import nn\n\n\n"


def _scan(tmp_path: Path, body: str, exporter: ExporterChoice = "both") -> list[Finding]:
    path = tmp_path / "case.py"
    path.write_text(HEAD + body)
    result = scan_file(path, Config(select=("EXL204",), exporter=exporter))
    assert result.error is None, result.error
    return list(result.findings)


SLICE = """\
class M(nn.Module):
    def forward(self, x, lengths):
        n = lengths.max().item()
        m = n * 2
        return x[:, :m]
"""

RANGE = """\
class M(nn.Module):
    def forward(self, x, counts):
        steps = int(counts.sum())
        for _ in range(steps):
            x = x * 2
        return x
"""

DICT_KEY = """\
class M(nn.Module):
    def forward(self, x, i):
        heads = {0: x * 2, 1: x * 3}
        k = int(i.argmax())
        return heads[k]
"""

TOLIST_LOOP = """\
class M(nn.Module):
    def forward(self, x, ids):
        out = x
        for i in ids.tolist():
            out = out + x[i]
        return out
"""

PARAM_CONTROL = """\
class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("n", torch.tensor(3))

    def forward(self, x):
        for _ in range(int(self.n)):
            x = x * 2
        return x
"""

PRINTED = """\
class M(nn.Module):
    def forward(self, x):
        total = x.sum().item()
        print(total)
        return x
"""

HELPER = """\
class M(nn.Module):
    def forward(self, x, n):
        return self._trim(x, n)

    def _trim(self, x, n):
        keep = n.item()
        return x[:keep]
"""

BOOL = """\
class M(nn.Module):
    def forward(self, x, m):
        flag = bool(m.any())
        return x * flag
"""


def test_item_reaching_a_slice_is_wrong_under_legacy_only(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, SLICE)
    assert (f.location.line, f.outcomes.dynamo, f.outcomes.legacy) == (8, "ok", "wrong")
    assert f.severity == "error"
    assert [g.severity for g in _scan(tmp_path, SLICE, "dynamo")] == ["info"]
    assert [g.severity for g in _scan(tmp_path, SLICE, "legacy")] == ["error"]


@pytest.mark.parametrize("body", [RANGE, DICT_KEY], ids=["range", "dict-key"])
def test_value_deciding_python_control_fails_under_dynamo(tmp_path: Path, body: str) -> None:
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("fails", "wrong")
    assert "control flow" in f.message
    assert f.severity == "error"


def test_tolist_values_used_as_indices_are_tensor_uses(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, TOLIST_LOOP)
    assert (f.location.line, f.outcomes.dynamo, f.outcomes.legacy) == (9, "ok", "wrong")


def test_buffer_deciding_a_loop_fails_under_dynamo_but_legacy_is_right(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, PARAM_CONTROL)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("fails", "ok")
    assert [g.severity for g in _scan(tmp_path, PARAM_CONTROL, "legacy")] == ["info"]


def test_printed_value_is_harmless(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, PRINTED)
    assert f.severity == "info"


def test_helper_method_reached_from_forward_is_checked(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, HELPER)
    assert f.symbol == "M._trim"
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("ok", "wrong")


def test_bool_of_a_tensor_is_control_flow(tmp_path: Path) -> None:
    [f] = _scan(tmp_path, BOOL)
    assert f.outcomes.dynamo == "fails"


def test_numpy_round_trip_message_names_both_exporters(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x):\n        return torch.from_numpy(np.exp(x.numpy()))\n"
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("ok", "wrong")
    assert "numpy" in f.message and "legacy" in f.message


def test_numpy_asarray_of_a_tensor_is_a_conversion(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x):\n        return torch.tensor(np.asarray(x) * 2)\n"
    assert len(_scan(tmp_path, body)) == 1


def test_cast_of_an_unknown_helper_result_is_not_assumed_a_tensor(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, img):\n"
        "        _, h, w = get_dimensions(img)\n"
        "        top = int(round((h - 4) / 2.0))\n"
        "        scale = float(img.mean())\n"
        "        return img[..., top:] * scale\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.location.line == 10  # float(img.mean()): a tensor method's result


def test_cast_of_a_submodule_output_is_a_tensor_conversion(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.gate = nn.Linear(4, 1)\n\n"
        "    def forward(self, x):\n"
        "        w = self.gate(x).sigmoid()\n"
        "        return x / float(w.max())\n"
    )
    [f] = _scan(tmp_path, body)
    assert (f.location.line, f.outcomes.legacy) == (13, "wrong")


LEVELS = """\
class Levels(nn.Module):
    def forward(self, memory, shapes):
        outs = []
        for lvl, (chunk, (h, w)) in enumerate(zip(memory.unbind(0), shapes.tolist())):
            outs.append(self.convs[lvl](chunk.reshape(1, -1, h, w)))
        keys = {}
        for i, (rows, cols) in enumerate(shapes.tolist()):
            keys[(rows, cols)] = i
        return outs, keys
"""


def test_a_zipped_tolist_feeds_only_its_own_loop_targets(tmp_path: Path) -> None:
    # `lvl` counts passes and `chunk` comes from memory: only `(h, w)` carry the values (a size,
    # dynamo right); in the second loop they key a dict (control, dynamo fails)
    first, second = _scan(tmp_path, LEVELS)
    assert (first.location.line, first.outcomes.dynamo, first.outcomes.legacy) == (9, "ok", "wrong")
    assert (second.location.line, second.outcomes.dynamo) == (12, "fails")
