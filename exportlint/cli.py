"""argv -> options -> engine -> report -> exit code. Nothing else lives here.

Exit codes: 0 no error-severity findings, 1 at least one, 2 usage error, internal error, or
nothing could be read.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from exportlint import __version__
from exportlint.config import Config
from exportlint.errors import ExportlintError
from exportlint.model import FileResult

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("rich", "json")

# Subcommands implemented in the layers that need torch; imported only when used.
_HEAVY_COMMANDS = {
    "probe": ("exportlint.probe.command", "Run the real exporters on a target and map failures to source lines."),
    "fix": ("exportlint.fixers.command", "Write verified wrapper modules that export."),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="exportlint", description="Find, confirm and fix ONNX export blockers.")
    parser.add_argument("--version", action="version", version=f"exportlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_scan(sub)
    rules = sub.add_parser("rules", help="List the rules.")
    rules.add_argument("--format", choices=FORMATS, default=None)
    rule = sub.add_parser("rule", help="Print one rule's documentation.")
    rule.add_argument("key", help="slug (dynamic-branch) or code (EXL101)")
    for name, (module, help_text) in _HEAVY_COMMANDS.items():
        heavy = sub.add_parser(name, help=help_text)
        _heavy_arguments(module, heavy)
    return parser


def _add_scan(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser("scan", help="Statically scan files or directories (never imports them).")
    scan.add_argument("paths", nargs="*", type=Path, help="files or directories (default: .)")
    scan.add_argument("--format", choices=FORMATS, default=None, help="output format (default: rich)")
    scan.add_argument("--exporter", choices=("dynamo", "legacy", "both"), default=None,
                      help="which exporters count for severity (default: both)")
    scan.add_argument("--select", default=None, help="comma-separated rule slugs, codes or code prefixes")
    scan.add_argument("--ignore", default=None, help="comma-separated rule slugs or codes to skip")
    scan.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)")
    scan.add_argument("--no-cache", action="store_true", help="ignore and do not write the result cache")
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    scan.add_argument("--quiet", "-q", action="store_true", help="rich: one line per finding, no source")


def _heavy_arguments(module: str, parser: argparse.ArgumentParser) -> None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        parser.add_argument("rest", nargs=argparse.REMAINDER)
        return
    mod.add_arguments(parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code."""
    parser = build_parser()
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


def scan_config(args: argparse.Namespace) -> Config:
    """The configuration for a scan: defaults overridden by command-line flags."""
    config = Config()
    changes: dict[str, object] = {}
    if args.exporter:
        changes["exporter"] = args.exporter
    if args.select:
        changes["select"] = _split(args.select)
    if args.ignore:
        changes["ignore"] = _split(args.ignore)
    if args.jobs is not None:
        changes["jobs"] = args.jobs
    if args.no_cache:
        changes["cache"] = False
    return dataclasses.replace(config, **changes)  # type: ignore[arg-type]


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def run_scan(args: argparse.Namespace) -> int:
    """`exportlint scan`: static analysis, report, exit code."""
    from exportlint.engine import scan_paths

    config = scan_config(args)
    paths = args.paths or [Path(".")]
    results = scan_paths(paths, config)
    _report(results, args)
    return scan_exit_code(results)


def _report(results: Sequence[FileResult], args: argparse.Namespace) -> None:
    fmt = args.format or "rich"
    if fmt == "json":
        from exportlint.report.json import render_json

        sys.stdout.write(render_json(results))
        return
    from exportlint.report.terminal import make_console, render_rich

    color = {"auto": None, "always": True, "never": False}[args.color]
    render_rich(results, make_console(color=color), verbose=not args.quiet)


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
