"""argv -> options -> engine -> report -> exit code. Nothing else lives here.

Exit codes: 0 no error-severity findings, 1 at least one, 2 usage error, internal error, or
nothing could be read (see `scan_command`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from exportlint import __version__
from exportlint.config import Config, ResolvedConfig, check_value, config_arguments, render_config, resolve_config
from exportlint.errors import ExportlintError
from exportlint.exitcodes import EXIT_CLEAN, EXIT_ERROR
from exportlint.lifecycle import Terminated, exit_code, signals_unwind
from exportlint.scan_command import add_scan_arguments

FORMATS = ("rich", "json")

# Subcommands implemented in the layers that need torch; imported only when used.
_HEAVY_COMMANDS = {
    "probe": ("exportlint.probe.command", "Run the real exporters on a target and map failures to source lines."),
    "fix": ("exportlint.fixers.pipeline.command", "Write verified wrapper modules that export."),
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
    add_scan_arguments(scan)
    _add_config_options(scan)


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", action="append", default=[], metavar="FILE|KEY=VALUE",
                        help="config file (default: nearest exportlint.toml or pyproject.toml [tool.exportlint]), "
                             "or one setting in TOML, e.g. --config 'exclude = [\"tests\"]' (repeatable)")
    parser.add_argument("--exporter", choices=("dynamo", "legacy", "both"), default=None,
                        help="which exporters count for severity (default: both)")
    parser.add_argument("--select", default=None, help="comma-separated rule slugs, codes or code prefixes")
    parser.add_argument("--extend-select", default=None, help="comma-separated rule slugs or codes to add to select")
    parser.add_argument("--ignore", default=None, help="comma-separated rule slugs or codes to skip")
    parser.add_argument("--exclude", default=None,
                        help="comma-separated globs of files or directories to skip (replaces `exclude`)")
    parser.add_argument("--extend-exclude", default=None,
                        help="comma-separated globs to skip beside `exclude`")
    parser.add_argument("--entry-point", action="append", default=[], metavar="CLASS.METHOD",
                        help="analyse from this method and report only what it reaches (repeatable; "
                             "replaces `entry-points`)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="ignore and do not write the result cache")
    parser.add_argument("--cache-dir", default=None,
                        help="where the result cache lives (default: .exportlint_cache beside the config file)")


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
        with signals_unwind():
            if command in _HEAVY_COMMANDS:
                return _run_heavy(command, args)
            return handlers[command](args)
    except ExportlintError as e:
        print(f"exportlint: {e}", file=sys.stderr)
        return EXIT_ERROR
    except (KeyboardInterrupt, Terminated) as e:
        # The shell's convention: 130 after Ctrl-C, 143 after SIGTERM, 129 after SIGHUP.
        print(f"exportlint: {'interrupted' if isinstance(e, KeyboardInterrupt) else 'terminated'}",
              file=sys.stderr)
        return exit_code(e)


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
    """Defaults, overridden by the config file, by `--config KEY=VALUE`, then by the other flags."""
    config_file, flags = config_arguments(args.config)
    for option, key in (("select", "select"), ("extend_select", "extend-select"), ("ignore", "ignore"),
                        ("exclude", "exclude"), ("extend_exclude", "extend-exclude")):
        if getattr(args, option):
            flag = f"--{key}"
            flags[option] = (check_value(key, list(_split(getattr(args, option))), flag), flag)
    if args.exporter:
        flags["exporter"] = (args.exporter, "--exporter")
    if getattr(args, "entry_point", None):
        flags["entry_points"] = (check_value("entry-points", list(args.entry_point), "--entry-point"), "--entry-point")
    if args.jobs is not None:
        flags["jobs"] = (check_value("jobs", args.jobs, "--jobs"), "--jobs")
    if args.no_cache:
        flags["cache"] = (False, "--no-cache")
    if args.cache_dir is not None:
        # NOTE: relative to the working directory, as every path on the command line.
        flags["cache_dir"] = (check_value("cache-dir", os.path.abspath(args.cache_dir), "--cache-dir"), "--cache-dir")
    if getattr(args, "report_unused_ignores", False):
        flags["report_unused_ignores"] = (True, "--report-unused-ignores")
    paths = [p for p in args.paths if p != Path("-")]
    start = paths[0] if paths else getattr(args, "stdin_filename", None)
    return resolve_config(start, config_file, flags)


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
    """`exportlint scan` (see `scan_command`)."""
    from exportlint.scan_command import run_scan as scan

    return scan(args, scan_config(args))


def run_rules(args: argparse.Namespace) -> int:
    """`exportlint rules`: the rule table."""
    from exportlint.report.docs import render_rule_table, rules_json

    if args.format == "json":
        sys.stdout.write(rules_json())
    else:
        render_rule_table()
    return EXIT_CLEAN


def run_rule(args: argparse.Namespace) -> int:
    """`exportlint rule KEY`: one code's documentation."""
    from exportlint.report.docs import rule_doc
    from exportlint.rules.catalog import did_you_mean, find_doc

    doc = find_doc(args.key)
    if doc is None:
        print(f"exportlint: unknown rule {args.key!r}{did_you_mean(args.key) or '; `exportlint rules` lists them'}",
              file=sys.stderr)
        return EXIT_ERROR
    sys.stdout.write(rule_doc(doc))
    return EXIT_CLEAN
