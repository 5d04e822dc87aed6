"""`exportlint fix` for one target, in the child process: build, plan, render, write, verify.

The parent (`command.py`) sends a `FixRequest` as JSON through `verify.run_in_child`; this
module answers with the report as JSON. Steps return result objects; the report collects them.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from exportlint.fixers import FIXERS_BY_RULE
from exportlint.fixers.pipeline.build import build_target, plan_fixes
from exportlint.fixers.pipeline.files import import_wrapper, write_atomic
from exportlint.fixers.pipeline.request import FixRequest, output_name
from exportlint.fixers.pipeline.verification import verify_wrapper
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.fixers.wrapper.render import render_wrapper
from exportlint.model import Finding, Fix


def run_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Child entry point for `verify.run_in_child`: a FixRequest dict in, a report dict out."""
    data = dict(payload)
    data["rules"] = tuple(data.get("rules", ()))
    return fix_target(FixRequest(**data))


def fix_target(request: FixRequest) -> dict[str, Any]:
    """Plan and render the wrapper; unless `diff`, write it, export it and verify it."""
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


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as the report lists it: scan fields plus the fix that addressed it."""
    fix = finding.fix
    return {
        "rule": finding.rule, "code": finding.code, "severity": finding.severity,
        "path": finding.location.path, "line": finding.location.line,
        "col": finding.location.column, "symbol": finding.symbol, "message": finding.message,
        "fix": {"title": fix.title, "safety": fix.safety, "fixer": fix.fixer} if fix else None,
    }
