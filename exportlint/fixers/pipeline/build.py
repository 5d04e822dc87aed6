"""Build one target in the child process and plan its wrapper: import, trace, apply fixers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportlint import progress
from exportlint.errors import ProbeError
from exportlint.fixers import select_fixers
from exportlint.fixers.facts.runtime import trace_forward
from exportlint.fixers.facts.source_index import SourceIndex, index_source
from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.wrapper.fixer import FixContext
from exportlint.fixers.wrapper.identity import bind_params, identity_plan
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.model import Finding
from exportlint.target import TargetRef, load_ref, parse_target


@dataclass
class Built:
    """The target, built: the user's module and example inputs, the parsed file."""

    ref: TargetRef
    module: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    index: SourceIndex


def build_target(spec: str, cwd: Path) -> Built:
    """Import the user's module and call the factory.

    Raises:
        ProbeError: the target cannot be imported or built.
    """
    ref = parse_target(spec, cwd)
    target = load_ref(ref)
    target.module.eval()
    return Built(ref, target.module, target.args, dict(target.kwargs), index_source(ref.path))


def plan_fixes(built: Built, request: FixRequest) -> tuple[WrapperPlan, list[Finding]]:
    """Trace one eager forward, start from the identity plan and apply the selected fixers.

    Returns:
        The plan, and the static findings of the target's file the fixers were given.
    """
    progress.step("capturing one eager forward")
    facts, output, shimmed = trace_original(built)
    params = bind_params(built.module, built.args, built.kwargs)
    plan = identity_plan(built.ref, built.index, facts, params, output)
    if not plan.outputs:
        raise ProbeError(f"{built.ref.spec}: forward returns no tensor ({type(output).__name__}); "
                         "an ONNX graph needs at least one tensor output")
    plan.cpu_reference = shimmed
    if shimmed:
        plan.note("inputs", "the original calls CUDA-only APIs; its eager reference outputs are "
                  "computed with those calls mapped to the CPU.")
    plan.factory_kwargs = bool(built.kwargs)
    plan.exporter = request.exporter
    plan.max_iters = request.max_iters
    plan.dynamic_axes = {k: {int(a): s for a, s in v.items()} for k, v in request.dynamic.items()}
    progress.step(f"scanning {built.ref.path.name}")
    findings = scan_findings(built.ref.path)
    ctx = FixContext(plan, findings, built.module, built.args, built.kwargs,
                     request.exporter)  # type: ignore[arg-type]
    for fixer in select_fixers(request.rules):
        progress.step(f"applying the {fixer.rule} fixer")
        plan.fixers.append(fixer.rule)
        fixer.apply(ctx)
    return plan, findings


def trace_original(built: Built) -> tuple[Any, Any, bool]:
    """Trace one eager forward; on a CUDA-only failure, trace again under `cpu_shim`.

    Raises:
        ProbeError: the eager forward fails (the user's bug, not an export problem).
    """
    from exportlint.fixers.facts.cpu_shim import cpu_shim, needs_cpu_shim

    try:
        facts, output = trace_forward(built.module, built.args, built.kwargs, built.index)
        return facts, output, False
    except Exception as error:  # classified below: CUDA-only calls get the CPU shim
        if not needs_cpu_shim(error):
            raise ProbeError(f"{built.ref.spec}: the eager forward fails on the example inputs "
                             f"({type(error).__name__}: {error}); fix that first") from error
    with cpu_shim():
        facts, output = trace_forward(built.module, built.args, built.kwargs, built.index)
    return facts, output, True


def scan_findings(path: Path) -> list[Finding]:
    """The static scan's findings in the target's file ([] when the scan cannot run)."""
    try:
        from exportlint.config import Config
        from exportlint.scan import scan_paths

        results = scan_paths([path], Config(cache=False))
    except Exception:  # noqa: BLE001 - fixers fall back to every site they can see
        return []
    return [f for r in results for f in r.findings]
