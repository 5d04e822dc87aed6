"""Probe findings from hand-built verify reports: what a baked value's message claims."""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

from exportlint.probe.blame import Context
from exportlint.probe.custom_ops import unrunnable_ops
from exportlint.probe.findings import build_findings, export_events
from exportlint.verify.results import (
    CapturedWarning,
    Comparison,
    ExportResult,
    Failure,
    Frame,
    VerifyReport,
)

PATH = "/proj/levels.py"
WARNING = CapturedWarning("TracerWarning", "Converting a tensor to a Python list might cause the trace to be "
                          "incorrect. We can't record the data flow of Python values.", PATH, 7,
                          "sizes = [h * w for h, w in shapes.tolist()]", (Frame(PATH, 7, "forward", "sizes = ..."),),
                          origin_path=PATH, origin_line=7)


def _message(*cases: Comparison) -> tuple[str, str]:
    report = VerifyReport("legacy", ExportResult("legacy", True, warnings=(WARNING,)),
                          comparisons=(Comparison("example", True), *cases))
    ctx = Context(sources=(PATH,), forward=Frame(PATH, 5, "forward"))
    [finding] = build_findings(export_events(report, ctx), ctx)
    return finding.severity, finding.message


def test_a_baked_value_checked_on_other_inputs_says_they_matched() -> None:
    severity, message = _message(Comparison("values-1", True), Comparison("reordered", True, eager_failed=True))
    assert "the perturbed inputs still matched" in message and severity == "warning"


def test_a_baked_value_no_perturbed_set_could_check_says_so() -> None:
    # eager rejected every perturbed set: nothing matched, and the message must not claim it did
    severity, message = _message(Comparison("values-1", True, eager_failed=True),
                                 Comparison("reordered", True, eager_failed=True))
    assert "eager rejects every perturbed input set, so none could check it" in message
    assert "still matched" not in message and severity == "warning"


def test_a_divergence_on_a_perturbed_set_is_an_error_naming_it() -> None:
    severity, message = _message(Comparison("reordered", False))
    assert severity == "error" and "onnxruntime differs from eager" in message


def _onnxruntime_failure(message: str, path: str | None = None) -> list[tuple[str, int, str]]:
    failure = Failure("Fail", message)
    report = VerifyReport("legacy", ExportResult("legacy", True, path=path),
                          comparisons=(Comparison("example", False, failure=failure),))
    ctx = Context(sources=(PATH,), forward=Frame(PATH, 5, "forward"))
    return [(f.rule, f.location.line, f.message) for f in build_findings(export_events(report, ctx), ctx)]


def test_an_unmapped_custom_op_stays_at_forward_and_names_the_op() -> None:
    [(rule, line, message)] = _onnxruntime_failure(
        "[ONNXRuntimeError] : 1 : FAIL : Load model from /tmp/x/model.legacy.onnx failed:Fatal error: "
        "trt_plugins:FastGelu(-1) is not a registered function/op")
    assert (rule, line) == ("onnxruntime-error", 5)
    assert "custom-domain op `trt_plugins::FastGelu`" in message


def test_an_onnxruntime_error_naming_no_op_keeps_the_generic_finding() -> None:
    [(rule, line, message)] = _onnxruntime_failure("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : bad shape")
    assert (rule, line) == ("onnxruntime-error", 5) and "custom-domain" not in message


def _model(path: Path, *ops: tuple[str, str]) -> str:
    nodes, previous = [], "x"
    for i, (domain, op_type) in enumerate(ops):
        nodes.append(helper.make_node(op_type, [previous], [f"y{i}"], domain=domain))
        previous = f"y{i}"
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info(previous, TensorProto.FLOAT, [2])])
    opsets = [helper.make_opsetid(d, 1) for d in dict.fromkeys(d for d, _ in ops)]
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), *opsets]), path)
    return str(path)


def test_the_ops_onnxruntime_lacks_are_those_it_names_and_their_unknown_domains(tmp_path: Path) -> None:
    path = _model(tmp_path / "m.onnx", ("com.microsoft", "Gelu"), ("acme", "Swish"), ("acme", "Tanh2"))
    error = "Fatal error: acme:Swish(-1) is not a registered function/op"
    assert [op.op for op in unrunnable_ops(path, error, {})] == ["acme::Swish", "acme::Tanh2"]
    # an error about something else is no custom-op failure, even with custom ops in the graph
    assert unrunnable_ops(path, "RUNTIME_EXCEPTION : bad shape", {}) == ()


def test_a_custom_op_maps_to_the_executed_apply_calls_of_its_function(tmp_path: Path) -> None:
    source = tmp_path / "plugin.py"
    source.write_text(
        "import torch\n"
        "class Swish(torch.autograd.Function):\n"
        "    @staticmethod\n"
        "    def symbolic(g, x):\n"
        "        return g.op('acme::Swish', x)\n"
        "swish = Swish.apply\n"
        "def f(x):\n"
        "    y = Swish.apply(x)\n"
        "    z = swish(y)\n"
        "    return Swish.apply(z) if x is None else z\n")
    path = _model(tmp_path / "m.onnx", ("acme", "Swish"))
    [op] = unrunnable_ops(path, "acme:Swish(-1) is not a registered function/op",
                          {str(source): (7, 8, 9)})
    assert (op.owner, op.symbolic and op.symbolic.line) == ("Swish", 5)
    assert [c.line for c in op.calls] == [8, 9]
