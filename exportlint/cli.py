"""argv -> options -> engine -> report -> exit code. Nothing else lives here.

Exit codes: 0 no error-severity findings, 1 at least one, 2 usage error, internal error, or
nothing could be read.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from exportlint import __version__
from exportlint.config import Config, ResolvedConfig, check_value, render_config, resolve_config
from exportlint.errors import ConfigError, ExportlintError, MissingExtraError
from exportlint.model import FileResult
from exportlint.progress import NO_PROGRESS, LineProgress, Progress

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("rich", "json")
SCAN_FORMATS = ("rich", "json", "concise", "github", "sarif")

# Subcommands implemented in the layers that need torch; imported only when used.
_HEAVY_COMMANDS = {
    "probe": ("exportlint.probe.command", "Run the real exporters on a target and map failures to source lines."),
    "fix": ("exportlint.fixers.command", "Write verified wrapper modules that export."),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser for every subcommand (`command`: the one to run, if known).

    Probe and fix load their options only when they run: their modules import libcst and more,
    which a scan answered from the cache must not pay for.
    """
    parser = argparse.ArgumentParser(prog="exportlint", description="Find, confirm and fix ONNX export blockers.")
    parser.add_argument("--version", action="version", version=f"exportlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_scan(sub)
    config = sub.add_parser("config", help="Print the effective configuration and where each value came from.")
    config.add_argument("paths", nargs="*", type=Path, help="where to look for the config file (default: .)")
    _add_config_options(config)
    rules = sub.add_parser("rules", help="List the rules.")
    rules.add_argument("--format", choices=FORMATS, default=None)
    rule = sub.add_parser("rule", help="Print one rule's documentation.")
    rule.add_argument("key", help="slug (dynamic-branch) or code (EXL101)")
    for name, (module, help_text) in _HEAVY_COMMANDS.items():
        heavy = sub.add_parser(name, help=help_text)
        if command in (name, None):
            _heavy_arguments(module, heavy)
        else:
            heavy.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _add_scan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser("scan", help="Statically scan files or directories (never imports them).")
    scan.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    scan.add_argument("--format", choices=SCAN_FORMATS, default=None, help="output format (default: rich)")
    _add_config_options(scan)
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    scan.add_argument("--quiet", "-q", action="store_true", help="rich: one line per finding, no source")
    scan.add_argument("--probe", action="append", default=[], metavar="TARGET",
                      help="also probe FILE.py:FACTORY and judge the static findings of its files")
    scan.add_argument("--output-file", "-o", type=Path, default=None, help="write the report to this file")
    scan.add_argument("--exit-zero", action="store_true", help="exit 0 even with error findings")
    scan.add_argument("--statistics", action="store_true", help="print counts per rule instead of findings")
    scan.add_argument("--report-unused-ignores", action="store_true",
                      help="report `# exportlint: ignore` comments that suppress nothing (unused-ignore)")
    scan.add_argument("--add-ignores", action="store_true",
                      help="add `# exportlint: ignore[rule]` comments for every current finding")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="config file (default: nearest exportlint.toml or pyproject.toml [tool.exportlint])")
    parser.add_argument("--exporter", choices=("dynamo", "legacy", "both"), default=None,
                        help="which exporters count for severity (default: both)")
    parser.add_argument("--select", default=None, help="comma-separated rule slugs, codes or code prefixes")
    parser.add_argument("--ignore", default=None, help="comma-separated rule slugs or codes to skip")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the result cache")


def _heavy_arguments(module: str, parser: argparse.ArgumentParser) -> None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        parser.add_argument("rest", nargs=argparse.REMAINDER)
        return
    mod.add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), ""))
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:
        return EXIT_CLEAN if e.code in (0, None) else EXIT_ERROR
    if args.command is None:
        args = parser.parse_args(["scan"])
    command = args.command
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "scan": run_scan,
        "rules": run_rules,
        "rule": run_rule,
        "config": run_config,
    }
    try:
        if command in _HEAVY_COMMANDS:
            return _run_heavy(command, args)
        return handlers[command](args)
    except ExportlintError as e:
        print(f"exportlint: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("exportlint: interrupted", file=sys.stderr)
        return EXIT_ERROR


def _run_heavy(command: str, args: argparse.Namespace) -> int:
    module_name = _HEAVY_COMMANDS[command][0]
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        print(f"exportlint: `{command}` needs the probe extra ({e.name} is missing): "
              "pip install 'exportlint[probe]'", file=sys.stderr)
        return EXIT_ERROR
    result: int = module.run(args)
    return result


def resolved_config(args: argparse.Namespace) -> ResolvedConfig:
    """Defaults, overridden by the config file, overridden by command-line flags."""
    flags: dict[str, tuple[object, str]] = {}
    if args.exporter:
        flags["exporter"] = (args.exporter, "--exporter")
    if args.select:
        flags["select"] = (check_value("select", list(_split(args.select)), "--select"), "--select")
    if args.ignore:
        flags["ignore"] = (check_value("ignore", list(_split(args.ignore)), "--ignore"), "--ignore")
    if args.jobs is not None:
        flags["jobs"] = (check_value("jobs", args.jobs, "--jobs"), "--jobs")
    if args.no_cache:
        flags["cache"] = (False, "--no-cache")
    if getattr(args, "report_unused_ignores", False):
        flags["report_unused_ignores"] = (True, "--report-unused-ignores")
    start = args.paths[0] if args.paths else None
    return resolve_config(start, args.config, flags)


def scan_config(args: argparse.Namespace) -> Config:
    """The configuration for a scan: defaults, config file, then command-line flags."""
    return resolved_config(args).config


def run_config(args: argparse.Namespace) -> int:
    """`exportlint config`: the effective configuration, each value with its source."""
    sys.stdout.write(render_config(resolved_config(args)))
    return EXIT_CLEAN


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def run_scan(args: argparse.Namespace) -> int:
    """`exportlint scan`: static analysis, report, exit code."""
    from exportlint.engine import scan_paths

    config = scan_config(args)
    paths = args.paths or [Path(".")]
    results = scan_paths(paths, config, _progress(args))
    if args.add_ignores:
        return _add_ignores(results)
    reports: list[object] = []
    if args.probe:
        results, reports = _probe_scan(results, args.probe, config)
    _report(results, args)
    if reports and (args.format or "rich") == "rich":
        from exportlint.report.terminal import make_console
        from exportlint.report.terminal.probe import render_reports

        render_reports(reports, make_console(color=_COLOR[args.color]))  # type: ignore[arg-type]
    if any(getattr(r, "error", "") for r in reports):
        return EXIT_FINDINGS
    if not results and all(p.is_file() and config.is_excluded(p) for p in paths):
        return EXIT_CLEAN  # every named file is excluded by the config (pre-commit passes them)
    code = scan_exit_code(results)
    return EXIT_CLEAN if args.exit_zero and code == EXIT_FINDINGS else code


_COLOR = {"auto": None, "always": True, "never": False}


def _probe_scan(results: list[FileResult], targets: Sequence[str], config: Config) -> tuple[list[FileResult], list[object]]:
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
    if rich and not args.add_ignores and sys.stdout.isatty():
        return LineProgress(sys.stdout)
    return NO_PROGRESS


def _add_ignores(results: Sequence[FileResult]) -> int:
    from exportlint.suppress import add_ignores

    done = add_ignores(results)
    for error in done.errors:
        print(f"exportlint: {error}", file=sys.stderr)
    print(f"exportlint: added {done.comments} suppression comment{'s' if done.comments != 1 else ''} "
          f"in {done.files} file{'s' if done.files != 1 else ''}", file=sys.stderr)
    return EXIT_ERROR if done.errors else EXIT_CLEAN


# Machine formats: module, function rendering list[FileResult] -> str. No progress, no colour.
_RENDERERS = {
    "json": ("exportlint.report.json", "render_json"),
    "concise": ("exportlint.report.concise", "render_concise"),
    "github": ("exportlint.report.github", "render_github"),
    "sarif": ("exportlint.report.sarif", "render_sarif"),
}


def _report(results: Sequence[FileResult], args: argparse.Namespace) -> None:
    fmt = args.format or "rich"
    if args.statistics or fmt in _RENDERERS:
        if args.statistics:
            from exportlint.report.concise import render_statistics

            text = render_statistics(results, as_json=fmt == "json")
        else:
            module, function = _RENDERERS[fmt]
            text = getattr(importlib.import_module(module), function)(results)
        _write(text, args.output_file)
        return
    from exportlint.report.terminal import make_console, render_rich

    color = _COLOR[args.color]
    if args.output_file is None:
        render_rich(results, make_console(color=color), verbose=not args.quiet)
        return
    with _open_output(args.output_file) as out:
        render_rich(results, make_console(file=out, color=False), verbose=not args.quiet)


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
    """2 when nothing could be read, 1 with error findings or unreadable files, else 0."""
    if results and all(r.error is not None for r in results):
        return EXIT_ERROR
    if not results:
        return EXIT_ERROR
    if any(f.severity == "error" for r in results for f in r.findings):
        return EXIT_FINDINGS
    if any(r.error is not None for r in results):
        return EXIT_FINDINGS
    return EXIT_CLEAN


def run_rules(args: argparse.Namespace) -> int:
    """`exportlint rules`: the rule table."""
    from exportlint.report.docs import render_rule_table, rules_json

    if args.format == "json":
        sys.stdout.write(rules_json())
    else:
        render_rule_table()
    return EXIT_CLEAN


def run_rule(args: argparse.Namespace) -> int:
    """`exportlint rule KEY`: one rule's documentation."""
    from exportlint.report.docs import rule_doc
    from exportlint.rules import ALL_RULES, find_rule

    rule = find_rule(args.key)
    if rule is None:
        known = ", ".join(r.name for r in ALL_RULES)
        print(f"exportlint: unknown rule {args.key!r}; known rules: {known}", file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule_doc(rule))
    return EXIT_CLEAN
