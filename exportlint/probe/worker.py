"""The probe proper, run inside the child process: `probe_target(options) -> report data`."""

from __future__ import annotations

import dataclasses
import inspect
import logging
import tempfile
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from exportlint import progress
from exportlint.model import Exporter, selected_exporters
from exportlint.probe.blame import Context, blame_failure, forward_frame, param_frame
from exportlint.probe.capture import Capture, explain, export_program, symbolic_trace
from exportlint.probe.eager import EagerPath, EagerRun, eager_path, run_eager
from exportlint.probe.findings import Event, build_findings, eager_events, export_events
from exportlint.probe.options import ProbeOptions
from exportlint.probe.report import report_to_data
from exportlint.probe.submodules import probe_children
from exportlint.probe_model import Parity, ProbeReport, Step
from exportlint.target import Target, load_target, target_location
from exportlint.verify.frames import is_user_path, make_frame
from exportlint.verify.parity import verify_module
from exportlint.verify.perturb import perturb_inputs
from exportlint.verify.results import InputSet, VerifyReport


def probe_target(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Child entry point (see `exportlint.verify.isolate.run_in_child`)."""
    _quiet()
    options = ProbeOptions.from_data(payload)
    progress.step("building the module")
    return report_to_data(probe_loaded(load_target(options.target), options))


def _quiet() -> None:
    warnings.simplefilter("ignore")
    for name in ("torch", "torch.onnx", "torch._dynamo", "torch.export", "onnxscript"):
        logging.getLogger(name).setLevel(logging.ERROR)


def probe_loaded(target: Target, options: ProbeOptions) -> ProbeReport:
    """Probe a built target in this process (the child calls this)."""
    start = time.perf_counter()
    target.module.eval()
    progress.step("running the eager forward")
    eager = run_eager(target.module, target.args, target.kwargs, options.depth)
    ctx = _context(target, options, eager)
    if eager.failure is not None:
        step = Step("eager", "fails", eager.seconds, eager.failure.evidence)
        return _report(target, options, [step], eager_events(eager.failure, ctx), ctx, start)
    steps = [Step("eager", "ok", eager.seconds)]
    captures = _captures(target, options)
    ctx = _with_captures(ctx, captures)
    steps += [_capture_step(c, ctx) for c in captures]
    with tempfile.TemporaryDirectory(prefix="exportlint-probe-") as folder:
        sets, reports = _exports(target, options, Path(folder))
        ctx = dataclasses.replace(ctx, paths=_diverging_paths(target, sets, reports))
        events = [e for r in reports for e in export_events(r, ctx)]
        steps += [_export_step(r, events) for r in reports]
        rows = probe_children(eager.children, options, ctx, Path(folder)) if eager.children else ()
    report = _report(target, options, steps, events, ctx, start)
    return _with_results(report, reports, rows)


def _context(target: Target, options: ProbeOptions, eager: EagerRun) -> Context:
    args, module = target.args, target.module
    trailing_dict = bool(args) and isinstance(args[-1], dict) and not target.kwargs
    forward = forward_frame(module)
    if not is_user_path(forward.path):
        forward = make_frame(*target_location(target.spec), "make")
    return Context(
        sources=model_sources(target),
        forward=forward,
        executed=eager.executed,
        dict_param=param_frame(module, len(args) - 1) if trailing_dict else None,
        choice=options.exporter,
    )


def model_sources(target: Target) -> tuple[str, ...]:
    """The factory's file and the source file of every user class among the model's modules.

    Blame prefers these files: an installed model package (SAM3's `sam3/`) is where a failing line
    lives, not the factory that built it.
    """
    files: dict[str, None] = dict.fromkeys([target.source] if target.source else [])
    for sub in target.module.modules():
        try:
            path = inspect.getsourcefile(type(sub)) or ""
        except (TypeError, OSError):
            continue
        if is_user_path(path):
            files.setdefault(path)
    return tuple(files)


def _captures(target: Target, options: ProbeOptions) -> list[Capture]:
    module, args, kwargs = target.module, target.args, target.kwargs
    captures = []
    if "dynamo" in selected_exporters(options.exporter):
        progress.step("capturing with torch.export")
        non_strict = export_program(module, args, kwargs, strict=False)
        captures.append(non_strict)
        if not non_strict.ok:
            progress.step("capturing with torch.export (strict)")
            captures.append(export_program(module, args, kwargs, strict=True))
        progress.step("looking for graph breaks with torch._dynamo.explain")
        captures.append(explain(module, args, kwargs))
    if options.fx:
        progress.step("tracing with torch.fx")
        captures.append(symbolic_trace(module))
    return captures


def _with_captures(ctx: Context, captures: list[Capture]) -> Context:
    program = next((c.program for c in captures if c.strategy == "torch.export" and c.ok), None)
    breaks = tuple(b for c in captures for b in c.graph_breaks)
    return dataclasses.replace(ctx, program=program, graph_breaks=breaks)


def _capture_step(capture: Capture, ctx: Context) -> Step:
    if capture.failure is not None:
        blame = blame_failure(capture.failure, ctx)
        line = blame.frame.line if blame.located else 0
        return Step(capture.strategy, "fails", capture.seconds, capture.failure.evidence,
                    blame.frame.path if line else "", line)
    detail = f"{len(capture.graph_breaks)} graph break(s)" if capture.strategy == "dynamo.explain" else ""
    return Step(capture.strategy, "ok", capture.seconds, detail)


def _exports(target: Target, options: ProbeOptions, folder: Path
             ) -> tuple[tuple[InputSet, ...], list[VerifyReport]]:
    module, args, kwargs = target.module, target.args, target.kwargs
    sets = perturb_inputs(module.forward, args, kwargs, seed=options.seed,
                          dynamic=options.dynamic or None)
    return sets, [
        verify_module(module, args, kwargs, path=folder / f"model.{exporter}.onnx",
                      exporter=exporter, input_sets=sets, rtol=options.rtol, atol=options.atol,
                      dynamic_axes=options.dynamic or None)
        for exporter in selected_exporters(options.exporter)
    ]


def _diverging_paths(target: Target, sets: tuple[InputSet, ...], reports: list[VerifyReport]
                     ) -> dict[str, EagerPath]:
    """The eager paths of the example and of the input sets an export diverged on: where they
    part tells which branch or loop the export kept from the example."""
    wanted = {c.case for r in reports for c in r.diverged}
    if not wanted:
        return {}
    progress.step("following the eager path of the diverging inputs")
    by_name = {s.name: s for s in sets}
    runs = {"example": (target.args, target.kwargs),
            **{name: (by_name[name].args, by_name[name].kwargs) for name in sorted(wanted) if name in by_name}}
    paths = {name: eager_path(target.module, args, kwargs) for name, (args, kwargs) in runs.items()}
    return {name: path for name, path in paths.items() if path is not None}


def _export_step(report: VerifyReport, events: list[Event]) -> Step:
    mine = [e for e in events if e.exporter == report.exporter]
    worst = next((e for o in ("fails", "wrong", "specialized") for e in mine if e.outcome == o),
                 None)
    name = f"onnx-{report.exporter}"
    if worst is None:
        return Step(name, "ok", report.export.seconds)
    return Step(name, worst.outcome, report.export.seconds, worst.evidence,
                worst.frame.path, worst.frame.line)


def _report(target: Target, options: ProbeOptions, steps: list[Step], events: list[Event],
            ctx: Context, start: float) -> ProbeReport:
    return ProbeReport(
        target=target.spec, exporter=options.exporter, sources=ctx.sources, steps=tuple(steps),
        findings=build_findings(events, ctx), graph_breaks=ctx.graph_breaks,
        executed=ctx.executed, seconds=time.perf_counter() - start,
    )


def _with_results(report: ProbeReport, reports: list[VerifyReport], rows: Any) -> ProbeReport:
    parity = tuple(
        # An input set eager rejects (raises, or NaN where the examples were finite) is no
        # divergence: the row is ok and says why it was not compared.
        Parity(r.exporter, c.case, c.ok or c.eager_failed, c.max_abs, c.max_rel,
               ("eager rejects this input set: " if c.eager_failed else "")
               + (c.failure.evidence if c.failure else "; ".join(d.detail for d in c.diffs if d.detail)))
        for r in reports for c in r.comparisons
    )
    cleared: tuple[Exporter, ...] = tuple(r.exporter for r in reports if r.ok)
    return dataclasses.replace(report, parity=parity, cleared=cleared, submodules=tuple(rows))
