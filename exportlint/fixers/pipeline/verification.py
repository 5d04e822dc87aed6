"""Verify a written wrapper: export it, check it, and compare onnxruntime with the EAGER ORIGINAL.

Every input set is built in the original's argument space (examples, other values, flipped
values, other sizes on dynamic axes, fixer-specific sets such as every memory slot count) and
mapped to graph inputs by the wrapper's own `export_inputs`; the reference is always the
user's module called with the original arguments, never the wrapper.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from exportlint import progress
from exportlint.fix_model import CaseResult, ExporterVerdict, OutputDiff, Verification
from exportlint.fixers.facts.cpu_shim import cpu_shim
from exportlint.fixers.pipeline.build import Built
from exportlint.fixers.pipeline.coverage import Case, cover_branches
from exportlint.fixers.pipeline.files import onnx_paths
from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.fixers.wrapper.render import wrapper_class_name

if TYPE_CHECKING:
    from exportlint.verify import Comparison


def verify_wrapper(
    plan: WrapperPlan, built: Built, wrapper: ModuleType, out_dir: Path, name: str,
    request: FixRequest,
) -> Verification:
    """Export the wrapper with each selected exporter and compare on every case."""
    export_module = wrap(plan, wrapper, built.module)
    progress.step("building verification inputs")
    cases = build_cases(plan, built, request)
    if plan.watch_sites:
        progress.step("finding inputs that take both sides of each rewritten branch")
    coverage = cover_branches(plan, built, cases)
    cases += [c for c in coverage.extra_cases if c not in cases]
    verdicts = [
        _verify_one(plan, export_module, built, cases, path, exporter, request)
        for exporter, path in onnx_paths(out_dir, name, request.exporter).items()  # type: ignore[arg-type]
    ]
    ok = all(v.ok for v in verdicts) and not plan.manual
    return Verification(ok, tuple(verdicts), tuple(coverage.sites), request.rtol, request.atol,
                        tuple(n for n, _ in plan.outputs))


def wrap(plan: WrapperPlan, wrapper: ModuleType, module: Any) -> Any:
    """The wrapper module around the user's module instance."""
    return getattr(wrapper, wrapper_class_name(plan))(module).eval()


def build_cases(plan: WrapperPlan, built: Built, request: FixRequest) -> list[Case]:
    """The example, the perturbed sets, and the fixers' own sets, in the original's space."""
    from exportlint.verify import perturb_inputs

    cases = [Case("example", built.args, dict(built.kwargs), "the example inputs")]
    dynamic = _original_axes(plan, built, request.dynamic)
    for item in perturb_inputs(built.module.forward, built.args, built.kwargs, seed=0,
                               dynamic=dynamic or None):
        cases.append(Case(item.name, tuple(item.args), dict(item.kwargs), item.description))
    for builder in plan.case_builders:
        for case_name, args, kwargs, text in builder(built.args, dict(built.kwargs)):
            cases.append(Case(case_name, tuple(args), dict(kwargs), text))
    return cases


def _original_axes(plan: WrapperPlan, built: Built, dynamic: dict[str, dict[str, str]]
                   ) -> dict[str, list[int]]:
    """Declared dynamic axes per flattened input (`feats` covers `feats_0`, `feats_1`, ...),
    minus the axes a frozen shape test pinned."""
    from exportlint.verify import flatten_inputs

    names = [leaf.name for leaf in flatten_inputs(built.module.forward, built.args, built.kwargs)]
    expanded: dict[str, list[int]] = {}
    for key, axes in dynamic.items():
        for name in names:
            if name == key or name.startswith(f"{key}_"):
                kept = [int(a) for a in axes if int(a) not in plan.static_axes.get(name, set())]
                if kept:
                    expanded[name] = kept
    return expanded


def _verify_one(
    plan: WrapperPlan, export_module: Any, built: Built, cases: list[Case], path: Path,
    exporter: str, request: FixRequest,
) -> ExporterVerdict:
    from exportlint.verify import check_onnx, export_onnx

    example = tuple(export_module.export_inputs(*built.args, **built.kwargs))
    names = [n for n, _ in plan.outputs]
    progress.step(f"exporting with {exporter}")
    export = export_onnx(export_module, example, path=path, exporter=exporter,  # type: ignore[arg-type]
                         dynamic_axes=plan.dynamic_axes or None, output_names=names)
    exported = ExporterVerdict(exporter, str(path), export.ok, seconds=round(export.seconds, 2),
                               dropped_inputs=tuple(export.dropped_inputs))
    if not export.ok or export.path is None:
        error = export.failure.evidence if export.failure else "export failed"
        return dataclasses.replace(exported, export_error=error + _raised_at(export.failure, path.parent))
    progress.step(f"checking {path.name} with onnx.checker")
    check = check_onnx(export.path)
    results = []
    for k, case in enumerate(cases, 1):
        progress.step(f"onnxruntime vs eager ({exporter}): case {k} of {len(cases)} ({case.name})")
        result = _compare(export.path, export_module, built.module, case, request, plan.cpu_reference)
        results.append(_case_result(result, names))
    return dataclasses.replace(exported, check_ok=check.ok, cases=tuple(results),
                               check_error=check.failure.evidence if check.failure else "")


def _raised_at(failure: Any, folder: Path) -> str:
    """Where in the user's code (the wrapper included) an export failure was raised, when the
    exporter ran it: " (raised at fix_out/m_export.py:31: `emb.amax(dim=0)`)"; "" when unknown."""
    import os

    from exportlint.verify.frames import first_user_frame

    frame = first_user_frame(failure.frames) if failure is not None else None
    if frame is None or frame.line <= 0:
        return ""
    inside = os.path.realpath(frame.path).startswith(os.path.realpath(folder) + os.sep)
    shown = os.path.relpath(frame.path) if inside else frame.path
    source = f": `{frame.source.strip()}`" if frame.source.strip() else ""
    merged = ""
    if inside and re.search(r"\w_if_(true|false)\b", frame.source):
        merged = ("; both sides of a branch merged with torch.where run on every input, and this "
                  "side raises on the example (an empty selection?): the dynamo exporter traces it "
                  "without running it, or make that side safe on the input it skipped")
    return f" (raised at {shown}:{frame.line}{source}{merged})"


def _compare(path: str, export_module: Any, module: Any, case: Case, request: FixRequest,
             shim: bool) -> Comparison:
    from exportlint.verify import Comparison, InputSet, compare_on, failure_from_exception

    try:
        inputs = tuple(export_module.export_inputs(*case.args, **case.kwargs))
    except Exception as error:  # noqa: BLE001 - a case the wrapper's interface cannot take
        return Comparison(case.name, False, failure=failure_from_exception(error),
                          description=case.description)

    def reference(*_: Any, **__: Any) -> Any:
        if shim:
            with cpu_shim():
                return module(*case.args, **case.kwargs)
        return module(*case.args, **case.kwargs)

    return compare_on(path, export_module.forward, InputSet(case.name, inputs, {}, case.description),
                      reference=reference, rtol=request.rtol, atol=request.atol)


def _case_result(result: Comparison, names: list[str]) -> CaseResult:
    outputs = []
    for i, diff in enumerate(result.diffs):
        label = names[i] if i < len(names) and diff.name.startswith("out_") else diff.name
        outputs.append(OutputDiff(label, diff.max_abs, diff.max_rel, diff.ok, diff.detail))
    return CaseResult(result.case, result.description, result.ok, result.eager_failed,
                      result.failure.evidence if result.failure else "", tuple(outputs))
