"""Turn what the probe saw (failures, divergences, warnings) into `Finding`s."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exportlint.model import EXPORTERS, Exporter, Finding, Location, Outcome, Outcomes, severity_for
from exportlint.probe.blame import Context, blame_failure
from exportlint.probe.classify import control_rule, error_kind, pattern_hint, rule_for, warning_kind
from exportlint.probe.custom_ops import CustomOp, unrunnable_ops
from exportlint.probe.eager import EagerPath
from exportlint.probe.symbols import enclosing_symbol, last_return
from exportlint.rules.catalog import code_for, probe_hint
from exportlint.verify.frames import is_user_path, make_frame
from exportlint.verify.results import Comparison, Failure, Frame, VerifyReport

_VERB: dict[str, str] = {
    "fails": "fails here",
    "wrong": "bakes a value here and onnxruntime differs from eager",
    "specialized": "bakes a value here (the perturbed inputs still matched)",
}

_UNCHECKED = "bakes a value here (eager rejects every perturbed input set, so none could check it)"


@dataclass(frozen=True, slots=True)
class Event:
    """One exporter's outcome pinned to a rule and a user line."""

    rule: str
    frame: Frame
    exporter: Exporter | None
    outcome: Outcome
    evidence: str
    message: str = ""
    unchecked: bool = False  # specialized, and eager rejected every perturbed input set
    hint: str = ""  # what to do, when the rule's own hint does not fit this line


def eager_events(failure: Failure, ctx: Context) -> list[Event]:
    """The model failing on its own inputs: a device hard-code, or the user's own bug."""
    blame = blame_failure(failure, ctx)
    if error_kind(failure) == "device":
        message = "hard-coded device: the model fails before export even starts"
        return [Event("hardcoded-device", blame.frame, None, "fails", failure.evidence, message)]
    message = "the model fails in eager mode on its example inputs (not an export problem)"
    return [Event("eager-failure", blame.frame, None, "fails", failure.evidence, message)]


def export_events(report: VerifyReport, ctx: Context) -> list[Event]:
    """Events for one exporter: export failure, checker, onnxruntime, divergence, warnings."""
    exporter = report.exporter
    if report.export.failure is not None:
        failure = report.export.failure
        blame = blame_failure(failure, ctx)
        returned = _non_tensor_output(failure, ctx) if not blame.located else None
        if returned is not None:
            return [Event(blame.rule, returned, exporter, "fails", failure.evidence,
                          f"the {exporter} exporter fails on forward's outputs: `{returned.source}` "
                          "returns a Python value beside tensors, and an ONNX graph outputs tensors only",
                          hint="return it as a tensor (`torch.tensor(value)`), or keep it out of the "
                          "exported module and read it from the model in your runtime code")]
        return [Event(blame.rule, blame.frame, exporter, "fails", failure.evidence)]
    if report.check is not None and report.check.failure is not None:
        return [Event("invalid-onnx", ctx.forward, exporter, "fails",
                      report.check.failure.evidence)]
    broken = next((c for c in report.comparisons if c.case == "example" and c.failure), None)
    if broken is not None and broken.failure is not None:
        return _onnxruntime_events(report, broken.failure, ctx)
    return _divergence_events(report, ctx)


def _onnxruntime_events(report: VerifyReport, failure: Failure, ctx: Context) -> list[Event]:
    """onnxruntime refusing the model: an unsupported-op at each executed `Function.apply` whose
    `symbolic` emits a custom-domain op it lacks; else at forward, naming the op if one is known."""
    exporter = report.exporter
    ops = unrunnable_ops(report.export.path, f"{failure.message} {failure.root_message}",
                         ctx.executed)
    if not ops:
        return [Event("onnxruntime-error", ctx.forward, exporter, "fails", failure.evidence)]
    evidence = _ORT_LOAD.sub("", failure.evidence)
    events = [Event("unsupported-op", call, exporter, "fails", evidence,
                    f"onnxruntime cannot run the custom-domain op `{op.op}` that "
                    f"{_emitted_by(op)} emits in the {exporter} export",
                    hint=_custom_op_hint(op))
              for op in ops for call in op.calls]
    if events:
        return _unique(events)
    first = ops[0]
    source = f" that {_emitted_by(first)} emits" if first.owner else ""
    message = (f"onnxruntime cannot load the {exporter} export: it has no kernel for the "
               f"custom-domain op `{first.op}`{source}")
    return [Event("onnxruntime-error", ctx.forward, exporter, "fails", evidence, message,
                  hint=_custom_op_hint(first))]


# onnxruntime's wording around a load error, with the path of a file the probe has deleted since.
_ORT_LOAD = re.compile(r"\[ONNXRuntimeError\] : \d+ : \w+ : (Load model from .*? failed:)?"
                       r"(Fatal error: )?")


def _emitted_by(op: CustomOp) -> str:
    if op.symbolic is None:
        return "the model"
    return f"`{op.owner}.symbolic` ({os.path.basename(op.symbolic.path)}:{op.symbolic.line})"


def _custom_op_hint(op: CustomOp) -> str:
    register = (f"register an onnxruntime custom-op library implementing `{op.op}` "
                "(SessionOptions.register_custom_ops_library)")
    if not op.owner:
        return f"{register}, or export without that op"
    return (f"{register}, export with the dynamo exporter (it traces `{op.owner}.forward`), "
            f"or remove `{op.owner}.symbolic` so the legacy tracer traces forward too")


def _divergence_events(report: VerifyReport, ctx: Context) -> list[Event]:
    diverged = report.diverged
    outcome: Outcome = "wrong" if diverged else "specialized"
    suffix = f"; {_describe(diverged[0])}{_dropped(report)}" if diverged else ""
    others = [c for c in report.comparisons if c.case != "example"]
    unchecked = not diverged and bool(others) and all(c.eager_failed for c in others)
    events = []
    for warning in report.export.warnings:
        kind = warning_kind(warning)
        if kind is None or warning.line <= 0 or not is_user_path(warning.origin_path):
            continue
        if kind == "guard" and diverged and _same_way(ctx, diverged, (warning.path, warning.line)):
            continue  # eager decided this test alike on the diverging inputs: not what broke
        rule = rule_for(kind, warning.source) or "tensor-to-python"
        first = warning.message.splitlines()[0].split(". ")[0].rstrip(".")
        evidence = f"TracerWarning: {first}{suffix}"
        frame = next((f for f in reversed(warning.frames)
                      if (f.path, f.line) == (warning.path, warning.line)),
                     make_frame(warning.path, warning.line))
        if not diverged and _is_assertion(frame.source):
            continue  # the tracer drops the check itself; no value of the graph depends on it
        events.append(Event(rule, frame, report.exporter, outcome, evidence, unchecked=unchecked))
    fork = _fork(ctx, diverged, report.exporter) if diverged and not events else None
    if fork is not None:
        events.append(fork)
    if diverged and not events:
        events.append(Event("output-divergence", ctx.forward, report.exporter, "wrong",
                            _describe(diverged[0]) + _dropped(report),
                            "onnxruntime differs from eager on other inputs"))
    return _unique(events)


def _paths_of(ctx: Context, diverged: Sequence[Comparison]) -> list[tuple[str, EagerPath]]:
    """The recorded eager paths of the diverging input sets, by case."""
    return [(c.case, ctx.paths[c.case]) for c in diverged if c.case != "example" and c.case in ctx.paths]


def _same_way(ctx: Context, diverged: Sequence[Comparison], at: tuple[str, int]) -> bool:
    """True when eager, on each diverging input set it could follow, passed `at` as often as on
    the example and went on to the same lines: the test there decided alike."""
    example = ctx.paths.get("example")
    others = _paths_of(ctx, diverged)
    return example is not None and bool(others) and all(example.agrees(p, at) for _, p in others)


def _fork(ctx: Context, diverged: Sequence[Comparison], exporter: Exporter) -> Event | None:
    """The branch or loop where eager leaves the example's path on a diverging input set, when
    no warning names the line: the export kept the example's way there."""
    example = ctx.paths.get("example")
    if example is None:
        return None
    for case, path in _paths_of(ctx, diverged):
        at = example.fork(path)
        if at is None or not is_user_path(at[0]):
            continue
        frame = make_frame(at[0], at[1])
        rule = control_rule(frame.source)
        if rule is None:
            continue
        mine, theirs = example.next_lines.get(at, ()), path.next_lines.get(at, ())
        if len(mine) != len(theirs):
            how = f"runs this line {len(mine)} times on the example and {len(theirs)} on '{case}'"
        else:
            went, other = next((a, b) for a, b in zip(mine, theirs) if a != b)
            how = (f"goes on to line {other} here on '{case}', to line {went} on the example"
                   if went and other else f"leaves here on one of the example and '{case}' only")
        evidence = f"eager {how}; the export keeps the example's way; {_describe(diverged[0])}"
        return Event(rule, frame, exporter, "wrong", evidence)
    return None


# What the exporters say of a Python number among forward's outputs (legacy: "output 1 (0.7)
# of traced region did not have observable data dependence"; dynamo: a float has no `.name`).
_NON_TENSOR_OUTPUT = re.compile(r"output \d+ \(|'(float|int|bool)' object has no attribute 'name'")


def _non_tensor_output(failure: Failure, ctx: Context) -> Frame | None:
    """The `return` ending forward, when the failure is about a non-tensor output; else None."""
    if not _NON_TENSOR_OUTPUT.search(f"{failure.message} {failure.root_message}"):
        return None
    line = last_return(ctx.forward.path, ctx.forward.line)
    return make_frame(ctx.forward.path, line, ctx.forward.function) if line else None


def _is_assertion(source: str) -> bool:
    """`assert ...` or `torch._assert(...)`: a check whose outcome no output depends on."""
    text = source.strip()
    return text.startswith(("assert ", "assert(", "torch._assert(", "torch._assert_async("))


def _dropped(report: VerifyReport) -> str:
    """Tensor inputs the exporter dropped: a value it baked instead of reading."""
    names = [n for n in report.export.dropped_inputs if not n.endswith("_key")]
    return f"; the exported graph ignores inputs: {', '.join(names[:4])}" if names else ""


def _describe(comparison: Comparison) -> str:
    if comparison.failure is not None:
        return f"onnxruntime fails on '{comparison.case}': {comparison.failure.evidence}"
    details = [d.detail for d in comparison.diffs if d.detail]
    what = details[0] if details else f"max abs err {comparison.max_abs:.3g}"
    return f"onnxruntime differs from eager on '{comparison.case}' ({what})"


def _unique(events: Iterable[Event]) -> list[Event]:
    seen: dict[tuple[str, str, int, Exporter | None], Event] = {}
    for event in events:
        seen.setdefault((event.rule, event.frame.path, event.frame.line, event.exporter), event)
    return list(seen.values())


def build_findings(events: Sequence[Event], ctx: Context) -> tuple[Finding, ...]:
    """One finding per event, each carrying what every exporter did at that line."""
    by_line: dict[tuple[str, int], dict[Exporter, Outcome]] = {}
    for event in events:
        outcomes = by_line.setdefault((event.frame.path, event.frame.line), {})
        for exporter in (event.exporter,) if event.exporter else EXPORTERS:
            outcomes[exporter] = _worse(outcomes.get(exporter, "ok"), event.outcome)
    return tuple(_finding(e, by_line[(e.frame.path, e.frame.line)], ctx) for e in events)


_RANK: dict[str, int] = {"ok": 0, "specialized": 1, "wrong": 2, "fails": 3}


def _worse(a: Outcome, b: Outcome) -> Outcome:
    return a if _RANK[a] >= _RANK[b] else b


def _finding(event: Event, seen: dict[Exporter, Outcome], ctx: Context) -> Finding:
    outcomes = Outcomes(seen.get("dynamo", "ok"), seen.get("legacy", "ok"))
    who = {"dynamo": "the dynamo exporter", "legacy": "the legacy exporter"}.get(
        event.exporter or "", "eager")
    source = f" `{event.frame.source}`" if event.frame.source else ""
    verb = _UNCHECKED if event.unchecked else _VERB[event.outcome]
    message = event.message or f"{who} {verb}:{source}".rstrip(":")
    return Finding(
        code=code_for(event.rule),
        rule=event.rule,
        message=message,
        location=_location(event.frame),
        origin="probe",
        outcomes=outcomes,
        severity="error" if event.exporter is None else severity_for(outcomes, ctx.choice),
        symbol=enclosing_symbol(event.frame.path, event.frame.line, event.frame.function),
        hint=event.hint or pattern_hint(event.rule, event.frame.source) or probe_hint(event.rule),
        exporter=event.exporter,
        evidence=event.evidence,
    )


def _location(frame: Frame) -> Location:
    """Where a finding sits: the frame's line, and the expression it was executing when the
    traceback gave its columns (else column 0, which reports turn into the statement's start)."""
    if frame.column and frame.end_line >= frame.line:
        return Location(frame.path, frame.line, frame.column, frame.end_line, frame.end_column)
    return Location(frame.path, frame.line, 0, frame.line, 0)
