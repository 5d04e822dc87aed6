"""Verdicts on static findings: confirmed, refuted (and demoted) or not exercised."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from exportlint.model import (
    EXPORTERS,
    Exporter,
    Finding,
    Outcome,
    Outcomes,
    selected_exporters,
    severity_for,
)
from exportlint.probe_model import ProbeReport

_RANK: dict[str, int] = {"ok": 0, "specialized": 1, "wrong": 2, "fails": 3}


def judge(static: Sequence[Finding], probe: ProbeReport) -> list[Finding]:
    """Give each static finding a verdict from what the probe of the same code saw.

    - confirmed: a probe finding (failure, divergence or baked value) lies on the finding's
      line or inside its span; or an exporter the finding says is wrong/fails there traced
      the whole forward (this line included) and its output differs from eager;
    - refuted: the span ran and every selected exporter exported the target and matched
      eager on the perturbed inputs; an error is demoted (to warning) and says so;
    - not-exercised: the target never ran the span, or no exporter got a clean run.

    Findings of a probe that could not run (`probe.error`) are returned unchanged.

    Args:
        static: static findings for the probed source files.
        probe: the probe report of one target.

    Returns:
        The findings, in order, with `verdict` (and evidence, outcomes, severity) updated.
    """
    if probe.error:
        return list(static)
    return [_judge_one(finding, probe) for finding in static]


def _judge_one(finding: Finding, probe: ProbeReport) -> Finding:
    hits = [p for p in probe.findings if _within(p, finding)]
    if hits:
        return _confirmed(finding, hits, probe)
    if not _executed(finding, probe):
        return dataclasses.replace(finding, verdict="not-exercised",
                                   evidence=f"{probe.target} never ran this code")
    selected = selected_exporters(probe.exporter)
    if all(e in probe.cleared for e in selected):
        return _refuted(finding, probe)
    wrong = [e for e in selected if _diverged(probe, e) and finding.outcomes.of(e) in _BAD]
    if wrong:
        return _confirmed_by_divergence(finding, wrong[0], probe)
    return dataclasses.replace(finding, verdict="not-exercised",
                               evidence=_unjudged(probe, selected))


def _unjudged(probe: ProbeReport, selected: tuple[Exporter, ...]) -> str:
    """Why a line that ran could not be judged: what each selected exporter did instead."""
    parts = []
    for exporter in selected:
        if exporter in probe.cleared:
            parts.append(f"{exporter} exported and matched")
            continue
        blocker = next((p for p in probe.findings if p.exporter == exporter), None)
        where = f" at {_place(blocker)}" if blocker else ""
        parts.append(f"{exporter} stopped{where} without reaching a verdict here")
    return f"{probe.target}: {'; '.join(parts)}"


_BAD = ("wrong", "fails")


def _diverged(probe: ProbeReport, exporter: Exporter) -> bool:
    """The exporter exported the whole forward but onnxruntime differs from eager."""
    return any(s.name == f"onnx-{exporter}" and s.status == "wrong" for s in probe.steps)


def _confirmed_by_divergence(finding: Finding, exporter: Exporter, probe: ProbeReport
                             ) -> Finding:
    """The exporter traced this line and the result is wrong, but no line was pinned."""
    worst = max((p for p in probe.parity if p.exporter == exporter and not p.ok),
                key=lambda p: p.max_abs, default=None)
    numbers = f" on '{worst.case}' (max abs err {worst.max_abs:.3g})" if worst else ""
    evidence = (f"{probe.target}: the {exporter} export ran this line and differs from "
                f"eager{numbers}; the divergence is not pinned to one line")
    return dataclasses.replace(
        finding, verdict="confirmed", exporter=exporter, evidence=evidence,
        message=f"{finding.message} (confirmed by probe: {exporter} output is wrong)")


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _span(finding: Finding) -> range:
    loc = finding.location
    return range(loc.line, max(loc.end_line, loc.line) + 1)


def _within(probe_finding: Finding, finding: Finding) -> bool:
    loc = probe_finding.location
    return _same_file(loc.path, finding.location.path) and loc.line in _span(finding)


def _executed(finding: Finding, probe: ProbeReport) -> bool:
    lines = next((set(v) for p, v in probe.executed.items()
                  if _same_file(p, finding.location.path)), set())
    return any(line in lines for line in _span(finding))


def _place(finding: Finding) -> str:
    return f"{os.path.basename(finding.location.path)}:{finding.location.line} {finding.rule}"


def _confirmed(finding: Finding, hits: list[Finding], probe: ProbeReport) -> Finding:
    seen: dict[Exporter, Outcome] = {}
    for hit in hits:
        for exporter in (hit.exporter,) if hit.exporter else EXPORTERS:
            mine = hit.outcomes.of(exporter)
            if _RANK[mine] > _RANK[seen.get(exporter, "ok")]:
                seen[exporter] = mine
    outcomes = Outcomes(*(seen.get(e, finding.outcomes.of(e)) for e in EXPORTERS))
    first = max(hits, key=lambda h: _RANK[h.outcomes.of(h.exporter or "dynamo")])
    who = first.exporter or "eager"
    return dataclasses.replace(
        finding, verdict="confirmed", outcomes=outcomes, exporter=first.exporter,
        severity=severity_for(outcomes, probe.exporter), evidence=first.evidence,
        message=f"{finding.message} (confirmed by probe: {who} {_verb(first, who)})",
    )


def _verb(hit: Finding, who: str) -> str:
    outcome = hit.outcomes.of(hit.exporter) if hit.exporter else "fails"
    return {"fails": "fails here", "wrong": "is silently wrong here",
            "specialized": "bakes a value here"}.get(outcome, "passes")


def _refuted(finding: Finding, probe: ProbeReport) -> Finding:
    selected = selected_exporters(probe.exporter)
    outcomes = Outcomes(*(
        _cap(finding.outcomes.of(e)) if e in selected else finding.outcomes.of(e)
        for e in EXPORTERS
    ))
    cases = sorted({p.case for p in probe.parity if p.exporter in selected})
    worst = max((p.max_abs for p in probe.parity if p.exporter in selected), default=0.0)
    evidence = (f"exported with {' and '.join(selected)} and matched eager on "
                f"{len(cases)} input sets ({', '.join(cases)}; max abs err {worst:.2g})")
    severity = severity_for(outcomes, probe.exporter)
    note = " (refuted by probe"
    if finding.severity == "error" and severity != "error":
        note += f": demoted from error to {severity}"
    return dataclasses.replace(finding, verdict="refuted", outcomes=outcomes, severity=severity,
                               evidence=evidence, message=f"{finding.message}{note})")


def _cap(outcome: Outcome) -> Outcome:
    """A matched export can still have baked a value no perturbation flipped."""
    return "specialized" if _RANK[outcome] > _RANK["specialized"] else outcome
