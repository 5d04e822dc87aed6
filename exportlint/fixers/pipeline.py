"""`exportlint fix` for one target, in the child process: build, plan, render, write, verify.

The parent (`command.py`) sends a `FixRequest` as JSON through `verify.run_in_child`; this
module answers with the report as JSON. Steps return result objects; the report collects them.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from exportlint.errors import ProbeError
from exportlint.fixers.base import FixContext
from exportlint.fixers.identity import bind_params, identity_plan
from exportlint.fixers.plan import WrapperPlan
from exportlint.fixers.registry import select_fixers
from exportlint.fixers.render import render_wrapper, wrapper_class_name
from exportlint.fixers.runtime import trace_forward
from exportlint.fixers.source_index import SourceIndex, index_source
from exportlint.fixers.target_ref import TargetRef, import_target, parse_target
from exportlint.model import Finding, Fix


@dataclass(frozen=True)
class FixRequest:
    """What the user asked for (plain data, sent to the child as JSON)."""

    target: str
    out: str = "exportlint_out"
    rules: tuple[str, ...] = ()
    exporter: str = "dynamo"
    rtol: float = 1e-3
    atol: float = 1e-4
    dynamic: dict[str, list[int]] = field(default_factory=dict)
    name: str = ""
    diff: bool = False
    cwd: str = ""


@dataclass
class Built:
    """The target, built: the user's module and example inputs, the parsed file."""

    ref: TargetRef
    module: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    index: SourceIndex


def run_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child entry point for `verify.run_in_child`: a FixRequest dict in, a report dict out."""
    data = dict(payload)
    data["rules"] = tuple(data.get("rules", ()))
    return fix_target(FixRequest(**data))


def output_name(request: FixRequest, ref: TargetRef) -> str:
    """`encoder` for `encoder.py:make`, `encoder_make_dac` for another factory."""
    if request.name:
        return request.name
    stem = "".join(c if c.isalnum() else "_" for c in ref.stem)
    return stem if ref.factory == "make" else f"{stem}_{ref.factory}"


def fix_target(request: FixRequest) -> dict[str, Any]:
    """Plan and render the wrapper; unless `diff`, write it, export it and verify it."""
    from exportlint.fixers.verification import verify_wrapper

    cwd = Path(request.cwd or os.getcwd())
    built = build_target(request.target, cwd)
    name = output_name(request, built.ref)
    out_dir = (cwd / request.out).resolve()
    plan, findings = plan_fixes(built, request)
    source = render_wrapper(plan, out_dir, name)
    report: dict[str, Any] = {
        "target": request.target, "name": name, "fixers": plan.fixers,
        "notes": [dataclasses.asdict(n) for n in plan.notes],
        "manual": [dataclasses.asdict(m) for m in plan.manual],
        "findings": [finding_dict(f) for f in attach_fixes(findings, plan)],
        "wrapper_path": str(out_dir / f"{name}_export.py"), "source": source,
    }
    if request.diff:
        return report | {"ok": None, "verified": False}
    wrapper_path = write_atomic(out_dir / f"{name}_export.py", source)
    wrapper = import_wrapper(wrapper_path, name)
    verdict = verify_wrapper(plan, built, wrapper, out_dir, name, request)
    return report | verdict | {"verified": True}


def build_target(spec: str, cwd: Path) -> Built:
    """Import the user's module and call the factory.

    Raises:
        ProbeError: the target cannot be imported or built.
    """
    ref = parse_target(spec, cwd)
    if ref.module is not None:
        from exportlint.probe.target import load_target

        target = load_target(str(ref.path) + ":" + ref.factory)
        module, args, kwargs = target.module, target.args, dict(target.kwargs)
    else:
        module, args, kwargs = _call_factory(ref, import_target(ref))
    module.eval()
    return Built(ref, module, tuple(args), kwargs, index_source(ref.path))


def _call_factory(ref: TargetRef, user: ModuleType) -> tuple[Any, tuple[Any, ...], dict[str, Any]]:
    factory = getattr(user, ref.factory, None)
    if not callable(factory):
        raise ProbeError(f"{ref.spec}: the file has no callable `{ref.factory}`")
    built = factory()
    if not isinstance(built, (tuple, list)) or len(built) not in (2, 3):
        raise ProbeError(f"{ref.spec}: the factory must return (module, args) or (module, args, kwargs)")
    return built[0], tuple(built[1]), dict(built[2]) if len(built) == 3 else {}


def plan_fixes(built: Built, request: FixRequest) -> tuple[WrapperPlan, list[Finding]]:
    """Trace one eager forward, start from the identity plan and apply the selected fixers.

    Returns:
        The plan, and the static findings of the target's file the fixers were given.
    """
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
    plan.dynamic_axes = {k: {int(a): f"{k}_dim{a}" for a in v} for k, v in request.dynamic.items()}
    findings = scan_findings(built.ref.path)
    ctx = FixContext(plan, findings, built.module, built.args, built.kwargs,
                     request.exporter)  # type: ignore[arg-type]
    for fixer in select_fixers(request.rules):
        plan.fixers.append(fixer.rule)
        fixer.apply(ctx)
    return plan, findings


def attach_fixes(findings: list[Finding], plan: WrapperPlan) -> list[Finding]:
    """The findings of the rules whose fixers ran, each with the `Fix` that addressed it."""
    from exportlint.fixers.registry import FIXERS_BY_RULE

    attached = []
    for finding in findings:
        fixer = FIXERS_BY_RULE.get(finding.rule)
        if fixer is None or finding.rule not in plan.fixers:
            continue
        manual = any(m.line == finding.location.line and m.rule == finding.rule for m in plan.manual)
        fix = Fix(fixer.title, "unsafe" if manual else fixer.safety,  # type: ignore[arg-type]
                  fixer.__name__)
        attached.append(dataclasses.replace(finding, fix=fix))
    return attached


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the report lists it: scan fields plus the fix that addressed it."""
    fix = finding.fix
    return {
        "rule": finding.rule, "code": finding.code, "severity": finding.severity,
        "path": finding.location.path, "line": finding.location.line,
        "col": finding.location.column, "symbol": finding.symbol, "message": finding.message,
        "fix": {"title": fix.title, "safety": fix.safety, "fixer": fix.fixer} if fix else None,
    }


def trace_original(built: Built) -> tuple[Any, Any, bool]:
    """Trace one eager forward; on a CUDA-only failure, trace again under `cpu_shim`.

    Raises:
        ProbeError: the eager forward fails (the user's bug, not an export problem).
    """
    from exportlint.fixers.cpu_shim import cpu_shim, needs_cpu_shim

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


def write_atomic(path: Path, text: str) -> Path:
    """Write `text` to `path` through a temporary file in the same directory and os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; users expect a plain file's mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def import_wrapper(path: Path, name: str) -> ModuleType:
    """Import the written wrapper module from its file."""
    module_name = f"exportlint_wrapper_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def wrap(plan: WrapperPlan, wrapper: ModuleType, module: Any) -> Any:
    """The wrapper module around the user's module instance."""
    return getattr(wrapper, wrapper_class_name(plan))(module).eval()
