"""`exportlint fix` for one target, in the child process: build, plan, render, write, verify.

The parent (`command.py`) sends a `FixRequest` as JSON through `verify.run_in_child`; this
module answers with the report as JSON. Steps return result objects; the report collects them.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from exportlint import progress
from exportlint.atomic import write_atomic
from exportlint.fix_model import FixReport
from exportlint.fixers import FIXERS_BY_RULE
from exportlint.fixers.pipeline.build import build_target, plan_fixes
from exportlint.fixers.pipeline.files import import_wrapper
from exportlint.fixers.pipeline.request import FixRequest, output_name
from exportlint.fixers.pipeline.verification import verify_wrapper
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.fixers.wrapper.render import render_wrapper
from exportlint.model import Finding, Fix
from exportlint.report.fix_json import fix_report_data


def run_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child entry point for `verify.run_in_child`: a FixRequest dict in, the report's JSON data
    out (with the wrapper's source; the parent reads it back with `read_fix_report`)."""
    data = dict(payload)
    data["rules"] = tuple(data.get("rules", ()))
    return fix_report_data(fix_target(FixRequest(**data)), with_source=True)


def fix_target(request: FixRequest) -> FixReport:
    """Plan and render the wrapper; unless `diff`, write it, export it and verify it."""
    cwd = Path(request.cwd or os.getcwd())
    progress.step("building the target")
    built = build_target(request.target, cwd)
    name = output_name(request, built.ref)
    out_dir = (cwd / request.out).resolve()
    plan, findings = plan_fixes(built, request)
    progress.step("rendering the wrapper")
    source = render_wrapper(plan, out_dir, name)
    report = FixReport(
        target=request.target, name=name, fixers=tuple(plan.fixers), notes=tuple(plan.notes),
        manual=tuple(plan.manual), findings=tuple(attach_fixes(findings, plan)),
        wrapper_path=str(out_dir / f"{name}_export.py"), source=source,
    )
    if request.diff:
        return report
    wrapper_path = write_atomic(out_dir / f"{name}_export.py", source)
    wrapper = import_wrapper(wrapper_path, name)
    verification = verify_wrapper(plan, built, wrapper, out_dir, name, request)
    return dataclasses.replace(report, verification=verification)


def attach_fixes(findings: list[Finding], plan: WrapperPlan) -> list[Finding]:
    """The findings of the rules whose fixers ran, each with the `Fix` that addressed it."""
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
