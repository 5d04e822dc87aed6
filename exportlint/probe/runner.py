"""Probe targets, each in its own child process, and collect their reports."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from exportlint.model import Finding, Location, Outcomes
from exportlint.probe.options import ProbeOptions
from exportlint.probe.report import failed_report, report_from_data
from exportlint.probe_model import ProbeReport
from exportlint.rules.catalog import code_for, probe_hint
from exportlint.target import target_location
from exportlint.verify.isolate import ChildOutcome, children_stopped_on_interrupt, run_in_child

WORKER = "exportlint.probe.worker:probe_target"


def probe_one(options: ProbeOptions, on_step: Callable[[str], None] | None = None) -> tuple[ProbeReport, str]:
    """Probe one target in a child process; returns the report and the child's output.

    `on_step` receives each step the child reaches ("exporting with dynamo", ...).

    A target that cannot be built gives a report with `error` set; a timeout or a crash
    also gives a finding (EXL906 / EXL907) at the factory's line.
    """
    outcome = run_in_child(WORKER, options.to_data(), label=options.target,
                           timeout=options.timeout, on_step=on_step)
    if outcome.ok:
        return report_from_data(outcome.data), outcome.output
    report = failed_report(options.target, outcome.error, options.exporter)
    if outcome.timed_out or (outcome.data is None and outcome.returncode not in (0, None)):
        report = _with_death(report, outcome)
    return report, outcome.output


def _with_death(report: ProbeReport, outcome: ChildOutcome) -> ProbeReport:
    import dataclasses

    rule = "probe-timeout" if outcome.timed_out else "probe-crash"
    path, line = target_location(report.target)
    finding = Finding(
        code=code_for(rule), rule=rule, message=outcome.error.split(": ", 1)[-1],
        location=Location(path, line, 0, line, 0), origin="probe",
        outcomes=Outcomes.same("fails"), severity="error", hint=probe_hint(rule),
        evidence=outcome.error,
    )
    return dataclasses.replace(report, findings=(finding,), seconds=outcome.seconds)


def probe_all(
    options: Sequence[ProbeOptions],
    jobs: int = 1,
    on_done: Callable[[ProbeReport], None] | None = None,
    on_step: Callable[[str, str], None] | None = None,
) -> list[tuple[ProbeReport, str]]:
    """Probe every target (`jobs` at a time), in the given order; one failure never stops
    the others. `on_step(target, step)` follows each target's steps."""

    def run(option: ProbeOptions) -> tuple[ProbeReport, str]:
        steps = None if on_step is None else functools.partial(on_step, option.target)
        result = probe_one(option, steps)
        if on_done is not None:
            on_done(result[0])
        return result

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    with children_stopped_on_interrupt(lambda: pool.shutdown(wait=True, cancel_futures=True)):
        results = list(pool.map(run, options))
    pool.shutdown()
    return results
