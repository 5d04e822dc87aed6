"""`exportlint scan`: its options, which files it reads, which report it prints, its exit code.

Exit codes (as ruff's): 0 no error-severity findings (also when there was nothing to scan),
1 error findings or files that could not be read, 2 usage error or nothing could be read.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from exportlint.config import Config
from exportlint.errors import ConfigError, MissingExtraError
from exportlint.exitcodes import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from exportlint.model import FileResult
from exportlint.probe_model import ProbeReport
from exportlint.progress import NO_PROGRESS, LineProgress, Progress
from exportlint.report.color import COLOR, COLOR_CHOICES

STDIN = Path("-")

# Machine formats: module, function rendering list[FileResult] -> str. No progress, no colour.
RENDERERS = {
    "json": ("exportlint.report.json", "render_json"),
    "concise": ("exportlint.report.concise", "render_concise"),
    "github": ("exportlint.report.github", "render_github"),
    "gitlab": ("exportlint.report.gitlab", "render_gitlab"),
    "junit": ("exportlint.report.junit", "render_junit"),
    "sarif": ("exportlint.report.sarif", "render_sarif"),
}
SCAN_FORMATS = ("rich", *RENDERERS)
_STATISTICS_FORMATS = ("rich", "concise", "json")


def add_scan_arguments(scan: argparse.ArgumentParser) -> None:
    """The options only `scan` has (the config options are added by the caller)."""
    scan.add_argument("paths", nargs="*", type=Path, help="files or directories, or - for standard input (default: .)")
    scan.add_argument("--format", "--output-format", dest="format", choices=SCAN_FORMATS, default=None,
                      help="output format (default: rich)")
    scan.add_argument("--stdin-filename", type=Path, default=None,
                      help="with `-`: the path the source read from standard input is reported under")
    scan.add_argument("--color", choices=COLOR_CHOICES, default="auto")
    scan.add_argument("--quiet", "-q", action="store_true",
                      help="print the findings only: no summary, no warnings, no progress")
    scan.add_argument("--show-files", action="store_true", help="print the files the scan would read, and exit")
    scan.add_argument("--probe", action="append", default=[], metavar="TARGET",
                      help="also probe FILE.py:FACTORY and judge the static findings of its files")
    scan.add_argument("--output-file", "-o", type=Path, default=None, help="write the report to this file")
    scan.add_argument("--exit-zero", action="store_true", help="exit 0 even with error findings")
    scan.add_argument("--statistics", action="store_true",
                      help="print counts per rule instead of findings (as text, or JSON with --format json)")
    scan.add_argument("--report-unused-ignores", action="store_true",
                      help="report `# exportlint: ignore` comments that suppress nothing (unused-ignore)")
    scan.add_argument("--add-ignores", action="store_true",
                      help="add `# exportlint: ignore[rule]` comments for every current error and warning")


def run_scan(args: argparse.Namespace, config: Config) -> int:
    """`exportlint scan`: static analysis, report, exit code."""
    fmt = args.format or "rich"
    if args.statistics and fmt not in _STATISTICS_FORMATS:
        raise ConfigError(f"--statistics prints text or JSON: it cannot be combined with --format {fmt}")
    paths = list(args.paths) or [Path(".")]
    if STDIN in paths:
        return _scan_stdin(args, config, paths)
    named = _python_paths(paths, warn=not args.quiet)
    paths = named
    if args.show_files:
        return _show_files(paths, config)
    from exportlint.scan import scan_paths

    results = scan_paths(paths, config, _progress(args)) if paths else []
    if config.entry_points:
        from exportlint.entrypoints import check_entry_points

        check_entry_points(results, config.entry_points)
    if args.add_ignores:
        return _add_ignores(results)
    reports: list[ProbeReport] = []
    if args.probe:
        results, reports = _probe_scan(results, args.probe, config)
    if not results and named and not args.quiet:
        print(f"warning: {_nothing_found(named)}", file=sys.stderr)
    report(results, args)
    if reports and fmt == "rich":
        from exportlint.report.terminal import make_console
        from exportlint.report.terminal.probe import render_reports

        render_reports(reports, make_console(color=COLOR[args.color]))
    if any(r.error for r in reports):
        return EXIT_FINDINGS
    code = scan_exit_code(results)
    return EXIT_CLEAN if args.exit_zero and code == EXIT_FINDINGS else code


def _python_paths(paths: Sequence[Path], warn: bool) -> list[Path]:
    """The paths without the named files that are not Python (a `.py`/`.pyi` name or a python shebang)."""
    kept = []
    for path in paths:
        if path.is_file() and path.suffix not in (".py", ".pyi") and not _has_python_shebang(path):
            if warn:
                print(f"warning: {path}: not a Python file (.py, .pyi or a python #! line), skipped", file=sys.stderr)
            continue
        kept.append(path)
    return kept


def _has_python_shebang(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            first = f.readline(200)
    except OSError:
        return True  # let the scan report why it cannot be read
    return first.startswith(b"#!") and b"python" in first


def _nothing_found(paths: Sequence[Path]) -> str:
    """Why a scan had no file to read, in one line."""
    from exportlint.scan import discover

    named = ", ".join(str(p) for p in paths)
    found = discover(paths).files
    if not found:
        return f"no Python files found under {named}"
    return f"every Python file under {named} is excluded (config `exclude`/`extend-exclude` or .gitignore)"


def _show_files(paths: Sequence[Path], config: Config) -> int:
    from exportlint.scan import discover, filter_discovery

    found = filter_discovery(discover(paths), paths, config)
    for error in found.errors:
        print(f"error: {error.error}", file=sys.stderr)
    sys.stdout.write("".join(f"{f}\n" for f in found.files))
    return EXIT_ERROR if found.errors and not found.files else EXIT_CLEAN


def _scan_stdin(args: argparse.Namespace, config: Config, paths: Sequence[Path]) -> int:
    """`exportlint scan -`: one source read from standard input, reported under `--stdin-filename`."""
    if len(paths) > 1:
        raise ConfigError("`-` (standard input) cannot be combined with other paths")
    if args.add_ignores or args.show_files or args.probe:
        raise ConfigError("`-` (standard input) cannot be combined with --add-ignores, --show-files or --probe")
    from exportlint.engine import scan_file

    name = args.stdin_filename or Path("<stdin>")
    data = sys.stdin.buffer.read()
    if config.is_excluded(name):
        return EXIT_CLEAN
    from exportlint.entrypoints import check_entry_points, name_entry_points

    results = name_entry_points([scan_file(name, config, data=data, display=str(name))], config.entry_points)
    if config.entry_points:
        check_entry_points(results, config.entry_points)
    report(results, args)
    code = scan_exit_code(results)
    return EXIT_CLEAN if args.exit_zero and code == EXIT_FINDINGS else code


def _probe_scan(results: list[FileResult], targets: Sequence[str], config: Config) -> tuple[list[FileResult], list[ProbeReport]]:
    try:
        from exportlint.probe.combined import probe_and_judge
        from exportlint.probe.command import require_probe_extra
    except ImportError as e:
        raise MissingExtraError(f"`scan --probe` needs the probe extra ({e.name} is missing): "
                                "pip install 'exportlint[probe]'") from e
    require_probe_extra()
    judged, reports = probe_and_judge(results, targets, config)
    return judged, list(reports)


def _progress(args: argparse.Namespace) -> Progress:
    """A progress line for the rich report on a terminal; nothing for machine formats or files."""
    rich = (args.format or "rich") == "rich" and not args.statistics and args.output_file is None
    if rich and not args.add_ignores and not args.quiet and sys.stdout.isatty():
        return LineProgress(sys.stdout)
    return NO_PROGRESS


def _add_ignores(results: Sequence[FileResult]) -> int:
    from exportlint.add_ignores import add_ignores

    done = add_ignores(results)
    for error in done.errors:
        print(f"error: {error}", file=sys.stderr)
    print(f"exportlint: added {_count(done.comments, 'suppression comment')} in {_count(done.files, 'file')}",
          file=sys.stderr)
    return EXIT_ERROR if done.errors else EXIT_CLEAN


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def report(results: Sequence[FileResult], args: argparse.Namespace) -> None:
    """Print the report in the chosen format: to stdout, or to `--output-file`."""
    fmt = args.format or "rich"
    if args.statistics or fmt in RENDERERS:
        if args.statistics:
            from exportlint.report.concise import render_statistics

            text = render_statistics(results, as_json=fmt == "json")
        else:
            module, function = RENDERERS[fmt]
            text = getattr(importlib.import_module(module), function)(results)
        _write(text, args.output_file)
        return
    from exportlint.report.terminal import make_console, render_errors, render_rich

    color = COLOR[args.color]
    render_errors(results, make_console(file=sys.stderr, color=color))
    if args.output_file is None:
        render_rich(results, make_console(color=color), summary=not args.quiet)
        return
    with _open_output(args.output_file) as out:
        render_rich(results, make_console(file=out, color=False), summary=not args.quiet)


def _write(text: str, path: Path | None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    with _open_output(path) as out:
        out.write(text)


def _open_output(path: Path) -> IO[str]:
    try:
        return path.open("w", encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--output-file {path}: cannot write ({e.strerror or e})") from e


def scan_exit_code(results: Sequence[FileResult]) -> int:
    """0 with nothing to scan, 2 when nothing could be read, 1 with error findings or unreadable files."""
    if not results:
        return EXIT_CLEAN
    if all(r.error is not None for r in results):
        return EXIT_ERROR
    if any(f.severity == "error" for r in results for f in r.findings):
        return EXIT_FINDINGS
    if any(r.error is not None for r in results):
        return EXIT_FINDINGS
    return EXIT_CLEAN
