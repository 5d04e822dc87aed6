"""The export outcomes that list-tensor-input, tensor-to-python, unsupported-op, hardcoded-device and
injected-module report, measured: each pattern is exported with both exporters and run on onnxruntime
against eager on its example and on a second input. A torch/onnx/onnxruntime upgrade that changes
one of these facts fails here, and the rule's outcomes must follow.
"""

from __future__ import annotations

import io
import math
import random
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
import torch

nn = torch.nn
F = torch.nn.functional

pytestmark = [pytest.mark.ort, pytest.mark.slow]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _leaves(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _leaves(v)]
    return []


def _export(model: Any, args: tuple[Any, ...], dynamo: bool) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            program = torch.onnx.export(model, args, dynamo=True, verbose=False)
            return bytes(program.model_proto.SerializeToString())
        torch.onnx.export(model, args, buffer, dynamo=False)
    return buffer.getvalue()


def outcome(model: Any, args: tuple[Any, ...], other: tuple[Any, ...], dynamo: bool) -> str:
    """"fails" (export or onnxruntime load raises), "wrong" (differs from eager), or "ok"."""
    try:
        session = ort.InferenceSession(_export(model, args, dynamo))
    except Exception:  # noqa: BLE001 - any failure to export or load is the fact under test
        return "fails"
    names = [i.name for i in session.get_inputs()]
    for inputs in (args, other):
        call = inputs[:-1] if inputs and inputs[-1] == {} else inputs
        feed = dict(zip(names, [t.numpy() for t in _leaves(call)][: len(names)]))
        with torch.no_grad():
            expected = _leaves(model(*call))
        try:
            got = session.run(None, feed)
        except Exception:  # noqa: BLE001 - a graph that cannot run the other input is wrong for it
            return "wrong"
        if len(got) != len(expected) or not all(
            g.shape == e.shape and np.allclose(g, e.numpy(), atol=1e-4) for g, e in zip(got, expected)
        ):
            return "wrong"
    return "ok"


def mod(fn: Callable[..., Any], init: Callable[[Any], None] | None = None) -> Any:
    cls = type("Pattern", (nn.Module,), {"forward": fn})
    m = cls()
    if init is not None:
        init(m)
    return m.eval()


def _complex_buffer(m: Any) -> None:
    m.register_buffer("f", torch.polar(torch.ones(2), torch.arange(2.0)))


def _cis(x: Any) -> Any:
    return torch.view_as_complex(x.reshape(3, 2, 2))


def _hop_map(fn: Callable[..., Any], xs: Any) -> Any:
    from torch._higher_order_ops.map import map as higher_order_map

    return higher_order_map(fn, xs)


def _checked_take(s: Any, x: Any, k: Any) -> Any:
    n = k.item()
    torch._check(n >= 1)
    torch._check(n <= x.shape[0])
    return x[:n].sum(0)


R = torch.randn
N = torch.tensor
# name -> (module, example args, other args, dynamo outcome, legacy outcome)
FACTS: dict[str, tuple[Any, tuple[Any, ...], tuple[Any, ...], str, str]] = {
    # list-tensor-input
    "list input": (mod(lambda s, xs: xs[0] + xs[1]), ([R(2), R(2)],), ([R(2), R(2)],), "ok", "ok"),
    "dict last positional": (mod(lambda s, x, d: x + d["a"]), (R(2), {"a": R(2)}), (R(2), {"a": R(2)}),
                             "fails", "fails"),
    "dict last + {}": (mod(lambda s, x, d: x + d["a"]), (R(2), {"a": R(2)}, {}), (R(2), {"a": R(2)}, {}),
                       "ok", "ok"),
    "int-keyed dict lookup": (mod(lambda s, x, d, n: x + d.get(1, x)), (R(2), {1: R(2)}, 3),
                              (R(2), {1: R(2)}, 3), "ok", "wrong"),
    "int-keyed dict values": (mod(lambda s, x, d, n: torch.cat([x, *d.values()])), (R(2), {0: R(2)}, 3),
                              (R(2), {0: R(2)}, 3), "ok", "ok"),
    # tensor-to-python
    ".item() slice bound": (mod(lambda s, x, n: x[: n.sum().item()]), (R(6), N([1, 2])), (R(6), N([1, 1])),
                            "ok", "wrong"),
    "int() in range": (mod(lambda s, x, n: sum(x * i for i in range(int(n.max())))), (R(3), N([1, 3])),
                       (R(3), N([1, 2])), "fails", "wrong"),
    "int() as dict key": (mod(lambda s, x, i: {0: x * 2, 1: x * 3}[int(i.argmax())]), (R(3), N([0.0, 3.0])),
                          (R(3), N([5.0, 2.0])), "fails", "wrong"),
    "min() of a selection's size as topk's k": (
        mod(lambda s, x: x[x > 0].topk(min(3, x[x > 0].numel()))[0] * 2), (N([3.0, -1, 2, 5, 1]),),
        (N([3.0, -1, -2, -5, 1]),), "ok", "wrong"),
    "bare size of a selection as topk's k": (
        mod(lambda s, x: x[x > 0].topk(x[x > 0].shape[0])[0] * 2), (N([3.0, -1, 2, 5, 1]),),
        (N([3.0, -1, -2, -5, 1]),), "ok", "ok"),
    "math.sqrt of a data number": (mod(lambda s, x, n: x[: int(n.sum())].sum(0) / math.sqrt(int(n.sum()))),
                                   (R(6, 2), N([1, 2])), (R(6, 2), N([1, 1])), "fails", "wrong"),
    "math.floor of a data number": (mod(lambda s, x, n: x[: int(n.sum())].sum(0) * math.floor(int(n.sum()) / 2)),
                                    (R(6, 2), N([1, 2])), (R(6, 2), N([1, 1])), "ok", "wrong"),
    "numpy round trip": (mod(lambda s, x: torch.from_numpy(np.exp(x.numpy())) * 2), (R(5),), (R(5),),
                         "ok", "wrong"),
    # unsupported-op
    "complex buffer": (mod(lambda s, x: torch.view_as_real(_cis(x) * s.f).flatten(1), _complex_buffer),
                       (R(3, 4),), (R(3, 4),), "ok", "fails"),
    "unsqueeze on complex": (mod(lambda s, x: torch.view_as_real(_cis(x).unsqueeze(0))), (R(3, 4),), (R(3, 4),),
                             "fails", "fails"),
    "complex dtype factory": (mod(lambda s, x: torch.view_as_real(torch.zeros(4, dtype=torch.complex64) + x)),
                              (R(4),), (R(4),), "fails", "fails"),
    "cdist": (mod(lambda s, x: torch.cdist(x, x)), (R(4, 3),), (R(4, 3),), "fails", "ok"),
    "histc": (mod(lambda s, x: torch.histc(x, bins=4, min=-2, max=2)), (R(10),), (R(10),), "ok", "fails"),
    "median": (mod(lambda s, x: torch.median(x, dim=-1)[0]), (R(4, 3),), (R(4, 3),), "fails", "fails"),
    "random.random": (mod(lambda s, x: x * random.random()), (R(3),), (R(3),), "wrong", "wrong"),
    "torch.cond": (mod(lambda s, x: torch.cond(x.sum() > 0, lambda t: t * 2, lambda t: t - 1, (x,))),
                   (R(3, 4),), (-R(3, 4).abs(),), "ok", "fails"),
    "higher-order map": (mod(lambda s, xs: _hop_map(lambda t: t.cos() * 2, xs)), (R(3, 4),), (R(3, 4),),
                         "fails", "fails"),
    "torch.sym_min of a size": (mod(lambda s, x: x[: torch.sym_min(x.shape[0], 3)] * 2), (R(5, 4),), (R(5, 4),),
                                "ok", "fails"),
    "round() of a size": (mod(lambda s, x: x[:, : round(x.shape[1] / 2)] + 1), (R(2, 6),), (R(2, 6),),
                          "ok", "fails"),
    ".item() bounded by torch._check": (mod(_checked_take), (R(5, 4), N(3)), (R(5, 4), N(3)), "ok", "fails"),
    # hardcoded-device (this test runs on machines without CUDA)
    ".cuda()": (mod(lambda s, x: x.cuda() * 2), (R(3),), (R(3),), "fails", "fails"),
    ".pin_memory()": (mod(lambda s, x: x.pin_memory() * 2), (R(3),), (R(3),), "fails", "fails"),
}


@pytest.mark.parametrize("name", list(FACTS))
def test_measured_outcome(name: str) -> None:
    if "cuda" in name or "pin" in name:
        assert not torch.cuda.is_available(), "device facts are measured on a machine without CUDA"
    model, args, other, dynamo, legacy = FACTS[name]
    torch.manual_seed(0)
    random.seed(0)
    assert (outcome(model, args, other, True), outcome(model, args, other, False)) == (dynamo, legacy)


def test_indexed_cuda_to_exports_under_dynamo_only() -> None:
    model = mod(lambda s, x: x.to("cuda:0") * 2)
    assert _export(model, (R(3),), True)
    with pytest.raises(Exception):  # noqa: B017 - "Torch not compiled with CUDA enabled"
        _export(model, (R(3),), False)


def test_list_input_is_flattened_into_named_inputs_of_the_example_length() -> None:
    model = mod(lambda s, xs: xs[0] + xs[-1])
    names = [i.name for i in ort.InferenceSession(_export(model, ([R(2), R(2), R(2)],), True)).get_inputs()]
    assert names == ["xs_0", "xs_1", "xs_2"]


def test_injected_hand_written_attention_exports_under_both() -> None:
    from examples.sam3_like.encoder import PromptCrossAttention

    torch.manual_seed(0)
    attn = PromptCrossAttention(16, num_heads=2).eval()
    args, other = (R(12, 2, 16), R(6, 2, 16), R(6, 2, 16)), (R(12, 2, 16), R(6, 2, 16), R(6, 2, 16))
    assert (outcome(attn, args, other, True), outcome(attn, args, other, False)) == ("ok", "ok")


def test_keyword_tensors_through_kwargs_export_under_dynamo_only() -> None:
    model = mod(lambda s, x, **kw: x + kw["b"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(model, (R(2),), kwargs={"b": R(2)}, dynamo=True, verbose=False)
        assert [i.name for i in program.model_proto.graph.input] == ["x", "b"]
        with pytest.raises(KeyError):
            torch.onnx.export(model, (R(2),), io.BytesIO(), kwargs={"b": R(2)}, dynamo=False)
