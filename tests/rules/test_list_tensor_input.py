"""list-tensor-input: what each container parameter of forward does under each exporter."""

from __future__ import annotations

from pathlib import Path

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import ExporterChoice, Finding

HEAD = "from typing import Dict, List, Optional, Tuple\n\nimport torch\nfrom torch import Tensor, nn\n\n\n"


def _scan(tmp_path: Path, body: str, exporter: ExporterChoice = "both") -> list[Finding]:
    path = tmp_path / "case.py"
    path.write_text(HEAD + body)
    result = scan_file(path, Config(select=("EXL201",), exporter=exporter))
    assert result.error is None, result.error
    return list(result.findings)


def test_dict_followed_by_defaulted_params_warns_about_the_trailing_case(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, x: Tensor, feats: Dict[str, Tensor], flag: bool = False) -> Tensor:\n"
        "        return x + feats['a']\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.severity == "warning"
    assert "last argument you pass" in f.message


def test_trailing_dict_fails_both_and_hints_the_empty_dict(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x, feats: Dict[str, Tensor]):\n        return x\n"
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("fails", "fails")
    assert "{}" in f.hint


def test_int_keyed_dict_read_by_key_is_wrong_under_legacy_only(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, idx: int, x: Tensor, memory: dict[str, dict[int, Tensor]], n: int):\n"
        "        frames = memory['non_cond']\n"
        "        out = frames.get(idx - 1)\n"
        "        return x if out is None else x + out\n"
    )
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("specialized", "wrong")
    assert [g.severity for g in _scan(tmp_path, body, "dynamo")] == ["warning"]


def test_int_keyed_dict_only_iterated_is_a_warning(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, x: Tensor, memory: dict[str, dict[int, Tensor]], n: int):\n"
        "        return torch.cat([x, *memory['cond'].values()])\n"
    )
    [f] = _scan(tmp_path, body)
    assert f.severity == "warning"


def test_fixed_tuple_is_info_and_variadic_tuple_is_a_warning(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, a: Tuple[Tensor, Tensor], b: Tuple[Tensor, ...]):\n"
        "        return a[0] + b[0]\n"
    )
    found = {f.message.split("`")[1]: f.severity for f in _scan(tmp_path, body)}
    assert found == {"a": "info", "b": "warning"}


def test_only_forward_signatures_are_checked(tmp_path: Path) -> None:
    body = (
        "class M(nn.Module):\n"
        "    def forward(self, x: Tensor):\n"
        "        return self.helper([x, x])\n\n"
        "    def helper(self, xs: List[Tensor]):\n"
        "        return xs[0]\n"
    )
    assert _scan(tmp_path, body) == []


def test_kwargs_keys_read_in_forward_fail_under_legacy(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x, **kw):\n        return x + kw['bias']\n"
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("specialized", "fails")
    assert f.symbol == "M.forward"


def test_kwargs_only_passed_on_are_a_warning(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x, **kw):\n        return self.net(x, **kw)\n"
    [f] = _scan(tmp_path, body)
    assert (f.outcomes.dynamo, f.outcomes.legacy) == ("specialized", "specialized")
    assert "only when none are passed" in f.message


def test_optional_union_syntax_is_an_optional_tensor(tmp_path: Path) -> None:
    body = "class M(nn.Module):\n    def forward(self, x: Tensor, m: Tensor | None = None):\n        return x\n"
    [f] = _scan(tmp_path, body)
    assert f.severity == "info" and "optional tensor" in f.message
