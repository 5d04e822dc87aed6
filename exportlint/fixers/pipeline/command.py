"""`exportlint fix TARGET`: write a wrapper module that exports, and prove it on onnxruntime.

The user's factory, the fixers and the exports run in a child process with a timeout
(`verify.run_in_child`); this parent checks what may be written, writes the JSON report and
prints the verification table. Exit codes: 0 every check passed, 1 a fix failed or needs
manual work, 2 usage error, target error or timeout.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import functools
import os
import sys
from pathlib import Path
from typing import IO

from exportlint.atomic import write_atomic
from exportlint.axes import parse_dynamic
from exportlint.errors import ConfigError
from exportlint.exitcodes import ExitCode
from exportlint.fix_model import FixReport
from exportlint.fixers import select_fixers
from exportlint.fixers.pipeline.files import output_files
from exportlint.fixers.pipeline.request import FixRequest, output_name, wire_dynamic
from exportlint.progress import StepLine
from exportlint.report.fix_json import read_fix_report, render_fix_json
from exportlint.target import parse_target

EXIT_OK, EXIT_FAILED, EXIT_ERROR = ExitCode.CLEAN, ExitCode.FINDINGS, ExitCode.ERROR
CHILD_ENTRY = "exportlint.fixers.pipeline.run:run_child"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `fix` subcommand's arguments."""
    parser.add_argument("target", help="FILE.py:FACTORY or dotted.module:FACTORY; "
                        "FACTORY() returns (module, args) or (module, args, kwargs)")
    parser.add_argument("--rule", action="append", default=[], metavar="RULE",
                        help="rule slug or code to fix (repeatable; default: every rule with a fixer)")
    parser.add_argument("--out", default="exportlint_out", help="output directory (default: exportlint_out)")
    parser.add_argument("--exporter", choices=("dynamo", "legacy", "both"), default="both",
                        help="exporter(s) to verify with (default: both, as probe and scan)")
    parser.add_argument("--rtol", type=float, default=1e-3, help="relative tolerance (default: 1e-3)")
    parser.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance (default: 1e-4)")
    parser.add_argument("--dynamic", action="append", default=[], metavar="INPUT:AXIS[:NAME]",
                        help="declare a graph input axis dynamic (repeatable), e.g. tgt:0 or x:0:batch")
    parser.add_argument("--max-iters", type=int, default=16, metavar="N",
                        help="iterations a data-dependent `while` loop is unrolled to when its own "
                        "configuration gives no bound; inputs needing more differ (default: 16)")
    parser.add_argument("--name", default="", help="base name of the output files (default: the file's stem, plus _FACTORY when the factory is not `make`)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--diff", action="store_true",
                        help="write nothing; print a unified diff against the existing wrapper (or the would-be file)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the child process (default: 300)")
    parser.add_argument("--format", choices=("rich", "json"), default="rich", help="report format")


def run(args: argparse.Namespace) -> int:
    """Run `exportlint fix` and return the exit code."""
    from exportlint.verify import run_in_child

    request = fix_request(args)
    select_fixers(request.rules)  # an unknown rule is a usage error before anything runs
    ref = parse_target(request.target, Path(request.cwd))
    out_dir = Path(request.cwd, request.out).resolve()
    name = output_name(request, ref)
    if not args.diff:
        _refuse_overwrite(output_files(out_dir, name, request.exporter), args.force)  # type: ignore[arg-type]
    line = step_line(args.format)
    try:
        outcome = run_in_child(CHILD_ENTRY, dataclasses.asdict(request), label=request.target,
                               timeout=args.timeout, cwd=request.cwd,
                               on_step=None if line is None else functools.partial(line.show, request.target))
    finally:
        if line is not None:
            line.finish()
    if not outcome.ok:
        print(f"exportlint: {outcome.error}", file=sys.stderr)
        return EXIT_ERROR
    report = read_fix_report(outcome.data)
    if args.diff:
        print_diff(Path(report.wrapper_path), report.source)
        return EXIT_OK
    report = dataclasses.replace(report, report_path=str(out_dir / f"{name}_report.json"))
    write_atomic(Path(report.report_path), render_fix_json(report) + "\n")
    _print_report(report, args.format)
    return EXIT_OK if report.ok else EXIT_FAILED


def fix_request(args: argparse.Namespace) -> FixRequest:
    """The FixRequest for parsed arguments.

    Raises:
        ConfigError: a bad `--dynamic` value or tolerance.
    """
    if args.rtol < 0 or args.atol < 0:
        raise ConfigError("--rtol and --atol must be >= 0")
    if args.max_iters < 1:
        raise ConfigError("--max-iters must be >= 1")
    return FixRequest(
        target=args.target, out=args.out, rules=tuple(args.rule), exporter=args.exporter,
        rtol=args.rtol, atol=args.atol, dynamic=wire_dynamic(parse_dynamic(args.dynamic)), name=args.name,
        max_iters=args.max_iters, diff=args.diff, cwd=os.getcwd(),
    )


def step_line(fmt: str, stream: IO[str] | None = None) -> StepLine | None:
    """The current step of the child on stderr: on a terminal, in the rich format only."""
    stream = sys.stderr if stream is None else stream
    if fmt == "json" or not stream.isatty():
        return None
    return StepLine(stream, verb="fixing")


def _refuse_overwrite(paths: list[Path], force: bool) -> None:
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise ConfigError(f"would overwrite {', '.join(existing)}; pass --force or choose --out")


def print_diff(path: Path, source: str) -> None:
    """A unified diff against the file on disk, or the whole would-be file when there is none."""
    if not path.exists():
        print(f"# would write {path}")
        sys.stdout.write(source)
        return
    old = path.read_text(encoding="utf-8")
    diff = difflib.unified_diff(old.splitlines(keepends=True), source.splitlines(keepends=True),
                                fromfile=str(path), tofile=f"{path} (new)")
    text = "".join(diff)
    sys.stdout.write(text if text else f"# {path} is up to date\n")


def _print_report(report: FixReport, fmt: str) -> None:
    if fmt == "json":
        print(render_fix_json(report))
        return
    from exportlint.report.terminal.fix import render_fix_report

    render_fix_report(report)
