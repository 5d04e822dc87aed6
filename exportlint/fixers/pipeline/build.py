"""Build one target in the child process and plan its wrapper: import, trace, apply fixers."""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from exportlint import progress
from exportlint.errors import ProbeError
from exportlint.fixers import select_fixers
from exportlint.fixers.facts.runtime import same_file, trace_forward
from exportlint.fixers.facts.source_index import SourceIndex, index_source
from exportlint.fixers.pipeline.containers import report_containers
from exportlint.fixers.pipeline.other_files import (
    LOCAL_RULES,
    executed_model_files,
    model_parts,
    register_twins,
)
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
    source_module: str | None = None  # the root class's module, when not the factory's file


def build_target(spec: str, cwd: Path) -> Built:
    """Import the user's module and call the factory.

    Raises:
        ProbeError: the target cannot be imported or built.
    """
    ref = parse_target(spec, cwd)
    target = load_ref(ref)
    target.module.eval()
    path, source_module = class_source(target.module, ref)
    return Built(ref, target.module, target.args, dict(target.kwargs), index_source(path),
                 source_module)


def class_source(module: Any, ref: TargetRef) -> tuple[Path, str | None]:
    """The file the fixers read and rewrite: where the root module's class is defined.

    A factory usually imports the model's class from the user's package (or an installed one,
    as `examples/sam3_real` does with SAM3). Then that class's file is the one to index, scan
    and rewrite, and the wrapper imports the class from its module. Returns `(ref.path, None)`
    when the class is defined in the factory's file or its module cannot be imported by name.
    """
    cls = type(module)
    try:
        found = inspect.getsourcefile(cls)
    except (TypeError, OSError):
        found = None
    name = cls.__module__
    loaded = sys.modules.get(name)
    if (found is None or same_file(found, ref.path) or loaded is None or name == "__main__"
            or name.startswith("exportlint_target_") or getattr(loaded, "__spec__", None) is None
            or not same_file(getattr(loaded, "__file__", "") or "", found)
            or getattr(loaded, cls.__name__, None) is not cls):
        return ref.path, None
    return Path(found).resolve(), name


def plan_fixes(built: Built, request: FixRequest) -> tuple[WrapperPlan, list[Finding]]:
    """Trace one eager forward, start from the identity plan and apply the selected fixers.

    Returns:
        The plan, and the static findings of the target's file the fixers were given.
    """
    progress.step("capturing one eager forward")
    facts, output, shimmed = trace_original(built)
    params = bind_params(built.module, built.args, built.kwargs)
    plan = identity_plan(built.ref, built.index, facts, params, output)
    plan.source_module = built.source_module
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
    progress.step("finding the model's other files")
    files, executed = executed_model_files(plan, built.module, built.args, built.kwargs)
    parts = model_parts(plan, files, built.module, built.args, built.kwargs)
    register_twins(plan, parts)
    progress.step(f"scanning {built.index.path.name}")
    findings = scan_findings(built.index.path)
    ctx = FixContext(plan, findings, built.module, built.args, built.kwargs,
                     request.exporter)  # type: ignore[arg-type]
    fixers = select_fixers(request.rules)
    for fixer in fixers:
        progress.step(f"applying the {fixer.rule} fixer")
        plan.fixers.append(fixer.rule)
        fixer.apply(ctx)
    for part in parts:
        progress.step(f"fixing {part.label}")
        part_ctx = FixContext(plan, scan_findings(part.index.path), built.module, built.args,
                              built.kwargs, request.exporter)  # type: ignore[arg-type]
        with plan.in_file(part):
            for fixer in fixers:
                if fixer.rule in LOCAL_RULES:
                    fixer.apply(part_ctx)
    plan.parts = [p for p in plan.parts if p.edits or p.new_methods or p.helpers]
    report_containers(plan, files, executed)
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
