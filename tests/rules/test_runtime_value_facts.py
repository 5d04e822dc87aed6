"""The export facts behind dynamic-loop, dict-access, variable-length-cat and data-dependent-index.

Each fact is a tiny module, the outcome the rule claims for each exporter, and inputs: the
example, and a second input that keeps the structure but changes what the pattern decides. The
fast test checks the rule claims exactly these outcomes; the `ort` test exports with both
exporters and checks onnxruntime against eager, so a torch upgrade that changes a fact fails here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import Outcomes

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, {params}):\n{body}\n"
Inputs = Callable[[], tuple[tuple[Any, ...], tuple[Any, ...]]]


@dataclass(frozen=True)
class Fact:
    name: str
    rule: str
    params: str
    body: str
    claim: Outcomes
    inputs: Inputs

    @property
    def source(self) -> str:
        body = "\n".join("        " + line for line in self.body.splitlines())
        return TEMPLATE.format(params=self.params, body=body)


def _scores() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    s0 = torch.tensor([0.9, 0.1, 0.7, 0.2, 0.8])
    s1 = torch.tensor([0.1, 0.9, 0.2, 0.3, 0.1])
    return (s0,), (s1,)


def _scores_boxes() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    (s0,), (s1,) = _scores()
    boxes = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    return (s0, boxes), (s1, boxes)


def _ints() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    return (torch.tensor([3, 1, 3, 2]),), (torch.tensor([1, 1, 1, 5]),)


def _frame() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(1))
    return (x, 2), (x * 3, 2)


def _rows() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    g = torch.Generator().manual_seed(2)
    return (torch.randn(5, 4, generator=g),), (torch.randn(5, 4, generator=g),)


def _gather() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    import torch

    x = torch.randn(5, 4, generator=torch.Generator().manual_seed(3))
    return (x, torch.tensor([1, 0, 1])), (x, torch.tensor([0, 4, 2]))


ERR_DATA = Outcomes(dynamo="fails", legacy="wrong")
OK = Outcomes.same("ok")
FACTS = [
    Fact("item_index", "data-dependent-index", "s, x", "return x[(s > 0.5).sum().item()]",
         Outcomes(dynamo="ok", legacy="wrong"), _scores_boxes),
    Fact("int_slice_bound", "data-dependent-index", "s", "return s[: int((s > 0.5).sum())]",
         Outcomes(dynamo="ok", legacy="wrong"), _scores),
    Fact("list_indexed_by_data", "data-dependent-index", "s, x", "parts = [x, x * 2, x * 3]\n"
         "return parts[int(s.argmax()) % 3]", ERR_DATA, _scores_boxes),
    Fact("bool_mask_read", "data-dependent-index", "s, x", "return x[s > 0.5]", OK, _scores_boxes),
    Fact("row_mask_write", "data-dependent-index", "s, x", "y = x.clone()\ny[s > 0.5] = 1.0\nreturn y",
         Outcomes(dynamo="ok", legacy="fails"), _scores_boxes),
    Fact("same_mask_write", "data-dependent-index", "x", "y = x.clone()\ny[y > 0] = 0.0\nreturn y", OK, _rows),
    Fact("nonzero", "data-dependent-index", "s", "return (s > 0.5).nonzero()", OK, _scores),
    Fact("where_one_argument", "data-dependent-index", "s", "return torch.where(s > 0.5)[0]", OK, _scores),
    Fact("unique", "data-dependent-index", "x", "return torch.unique(x)", OK, _ints),
    Fact("masked_select", "data-dependent-index", "s", "return torch.masked_select(s, s > 0.5)",
         Outcomes(dynamo="fails", legacy="ok"), _scores),
    Fact("argwhere", "data-dependent-index", "s", "return torch.argwhere(s > 0.5)",
         Outcomes(dynamo="ok", legacy="fails"), _scores),
    Fact("input_index_tensor", "data-dependent-index", "x: torch.Tensor, ids: torch.Tensor", "return x[ids]",
         OK, _gather),
    Fact("data_break", "dynamic-loop", "s, x", "acc = x[0] * 0\nfor i in range(5):\n    if s[i] < 0.5:\n"
         "        break\n    acc = acc + x[i]\nreturn acc", ERR_DATA, _scores_boxes),
    Fact("item_trip_count", "dynamic-loop", "s, x", "acc = x[0] * 0\n"
         "for i in range(int((s > 0.5).sum().item())):\n    acc = acc + x[i]\nreturn acc", ERR_DATA, _scores_boxes),
    Fact("shape_trip_count", "dynamic-loop", "x", "acc = x[0] * 0\nfor i in range(x.shape[0]):\n"
         "    acc = acc + x[i] * (i + 1)\nreturn acc", Outcomes.same("specialized"), _rows),
    Fact("stack_of_data_appends", "variable-length-cat", "s, x", "kept = []\nfor i in range(5):\n"
         "    if s[i] > 0.5:\n        kept.append(x[i])\nreturn torch.stack(kept)", ERR_DATA, _scores_boxes),
    Fact("get_keyed_by_forward_int", "dict-access", "x, k: int", "d = {0: x * 2, 1: x * 3}\n"
         "return d.get(k - 1, x)", Outcomes(dynamo="specialized", legacy="wrong"), _frame),
    Fact("subscript_keyed_by_data", "dict-access", "s, x", "d = {0: x * 2, 1: x * 3, 2: x * 4}\n"
         "return d[int(s.argmax()) % 3]", ERR_DATA, _scores_boxes),
]


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f.name)
def test_rule_claims_the_measured_outcomes(tmp_path: Path, fact: Fact) -> None:
    path = tmp_path / "fact.py"
    path.write_text(fact.source)
    findings = [f for f in scan_file(path, Config(select=(fact.rule,))).findings if f.rule == fact.rule]
    assert findings, f"{fact.rule} reports nothing on {fact.name}"
    assert fact.claim in {f.outcomes for f in findings}, [f.outcomes for f in findings]


def _measure(fact: Fact, exporter: str, tmp_path: Path) -> str:
    """"fails" (export or the example run raises), "wrong" (onnxruntime differs from eager), or "ok"."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from examples.onnx_harness import compare, eager, export, run_graph

    namespace: dict[str, Any] = {}
    exec(compile(fact.source, f"<{fact.name}>", "exec"), namespace)  # noqa: S102 - the fact's own module
    module = namespace["M"]().eval()
    example, other = fact.inputs()
    onnx_path = str(tmp_path / f"{fact.name}_{exporter}.onnx")
    legacy = exporter == "legacy"
    try:
        export(module, example, exporter, onnx_path, None)
        first = run_graph(onnx_path, module, example, legacy)
    except Exception:  # noqa: BLE001 - a failure is the measured outcome
        return "fails"
    if not compare(eager(module, example), first)[0]:
        return "wrong"
    try:
        return "ok" if compare(eager(module, other), run_graph(onnx_path, module, other, legacy))[0] else "wrong"
    except Exception:  # noqa: BLE001 - the graph cannot run the other input
        return "wrong"


@pytest.mark.ort
@pytest.mark.slow
@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f.name)
def test_exporters_still_do_what_the_rule_claims(tmp_path: Path, fact: Fact, exporter: str) -> None:
    claimed = fact.claim.of(exporter)  # type: ignore[arg-type]
    # "specialized": right on inputs of the example's structure, which is what `other` keeps.
    expected = "ok" if claimed == "specialized" else claimed
    assert _measure(fact, exporter, tmp_path) == expected
