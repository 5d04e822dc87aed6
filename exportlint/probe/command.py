"""`exportlint probe`: arguments, running the targets, rendering, exit code."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
from collections.abc import Sequence
from typing import Any

from exportlint.axes import parse_dynamic
from exportlint.errors import ConfigError, MissingExtraError
from exportlint.exitcodes import ExitCode
from exportlint.probe.options import ProbeOptions
from exportlint.probe_model import ProbeReport
from exportlint.progress import StepLine
from exportlint.report.color import COLOR, COLOR_CHOICES
from exportlint.verify.compare import DEFAULT_ATOL, DEFAULT_RTOL
from exportlint.verify.isolate import DEFAULT_TIMEOUT

_REQUIRED = ("torch", "onnx", "onnxruntime", "onnxscript")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `probe` subcommand's arguments."""
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="FILE.py:FACTORY or package.module:FACTORY "
                             "(default: targets in [tool.exportlint])")
    parser.add_argument("--exporter", choices=("dynamo", "legacy", "both"), default=None,
                        help="exporters to run and count for severity (default: both)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per target before it is stopped "
                             f"(default: `timeout` in [tool.exportlint], else {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--depth", type=int, default=1,
                        help="per-submodule table depth; 0 turns it off (default: 1)")
    parser.add_argument("--format", choices=("rich", "json"), default=None)
    parser.add_argument("--fx", action="store_true", help="also try torch.fx.symbolic_trace")
    parser.add_argument("--rtol", type=float, default=DEFAULT_RTOL)
    parser.add_argument("--atol", type=float, default=DEFAULT_ATOL)
    parser.add_argument("--dynamic", action="append", default=[], metavar="INPUT:AXIS[:NAME]",
                        help="declare a dynamic axis of a (flattened) input, e.g. x:0:batch")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="targets probed at once")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show the exporters' own output (warnings, logs)")
    parser.add_argument("--no-static", action="store_true",
                        help="report only what the exports saw, without the static errors on "
                             "executed lines that an export stopped before reaching")
    parser.add_argument("--color", choices=COLOR_CHOICES, default="auto")


def run(args: argparse.Namespace) -> int:
    """Probe every target, print the report and return the exit code."""
    require_probe_extra()
    config = _config()
    options = options_from_args(args, config)
    reports = _probe(options, jobs=args.jobs, show_progress=args.format != "json")
    if args.verbose:
        for report, output in reports:
            sys.stderr.write(f"--- {report.target} output ---\n{output}\n")
    probed = [report for report, _ in reports]
    if not args.no_static:
        from exportlint.probe.static_blockers import with_static_blockers

        probed = with_static_blockers(probed, config)
    only = [as_scan_reports(report, config) for report in probed]
    if args.format == "json":
        from exportlint.report.probe_json import render_probe_json

        sys.stdout.write(render_probe_json(only))
    else:
        from exportlint.report.terminal import make_console
        from exportlint.report.terminal.probe import render_reports

        render_reports(only, make_console(color=COLOR[args.color]))
    return exit_code(only)


def as_scan_reports(report: ProbeReport, config: Any) -> ProbeReport:
    """The report's findings as `scan` gives them: paths relative to the current directory
    (when under it), the column where the statement starts, and without those a
    `# exportlint: ignore` comment or `per-file-ignores` suppresses."""
    from exportlint.source import statement_column
    from exportlint.suppress import unsuppressed

    here = os.getcwd()
    findings = []
    for finding in unsuppressed(report.findings, config):
        where = finding.location
        path = os.path.relpath(where.path, here) if where.path.startswith(here + os.sep) else where.path
        column = where.column or statement_column(where.path, where.line)
        findings.append(dataclasses.replace(finding, location=dataclasses.replace(where, path=path, column=column)))
    return dataclasses.replace(report, findings=tuple(findings))


def require_probe_extra() -> None:
    """Raise `MissingExtraError` when torch/onnx/onnxruntime/onnxscript are missing."""
    missing = [name for name in _REQUIRED if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"`probe` needs {', '.join(missing)}: "
                                "pip install 'exportlint[probe]'")


def options_from_args(args: argparse.Namespace, config: Any = None) -> list[ProbeOptions]:
    """One `ProbeOptions` per target, from the flags and `[tool.exportlint]` (`config`, resolved
    here when not given)."""
    config = _config() if config is None else config
    targets = list(args.targets) or list(getattr(config, "targets", ()))
    if not targets:
        raise ConfigError("no target: pass FILE.py:FACTORY or list `targets` in [tool.exportlint]")
    exporter = args.exporter or getattr(config, "exporter", "both")
    dynamic = parse_dynamic(args.dynamic)
    timeout = args.timeout if args.timeout is not None else getattr(config, "timeout", DEFAULT_TIMEOUT)
    return [ProbeOptions(target=t, exporter=exporter, depth=max(0, args.depth), fx=args.fx,
                         rtol=args.rtol, atol=args.atol, timeout=timeout, dynamic=dynamic)
            for t in targets]


def _config() -> Any:
    from exportlint.config import resolve_config

    return resolve_config().config


def _probe(options: list[ProbeOptions], jobs: int, show_progress: bool
           ) -> list[tuple[ProbeReport, str]]:
    from exportlint.probe.runner import probe_all

    if not show_progress or not sys.stderr.isatty():
        return probe_all(options, jobs=jobs)
    return probe_with_steps(options, jobs, StepLine(sys.stderr, total=len(options)))


def probe_with_steps(options: Sequence[ProbeOptions], jobs: int, line: StepLine
                     ) -> list[tuple[ProbeReport, str]]:
    """Probe the targets, showing on `line` the step each one has reached."""
    from exportlint.probe.runner import probe_all

    try:
        return probe_all(options, jobs=jobs, on_done=lambda r: line.target_done(r.target),
                         on_step=line.show)
    finally:
        line.finish()


def exit_code(reports: Sequence[ProbeReport]) -> int:
    """2 when no target could be probed; 1 with an error finding or a failed target; else 0."""
    if reports and all(r.error for r in reports):
        return ExitCode.ERROR
    if any(r.error for r in reports):
        return ExitCode.FINDINGS
    if any(f.severity == "error" for r in reports for f in r.findings):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
