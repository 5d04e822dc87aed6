"""The static analysis of one file: parse it, build its facts, run the rules, turn their output into Findings."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from exportlint.callgraph import qualified_calls
from exportlint.config import Config
from exportlint.errors import SourceError
from exportlint.model import FileResult, Finding, Location, severity_for
from exportlint.modname import module_name
from exportlint.prepass import may_define_module

if TYPE_CHECKING:
    # NOTE: libcst and everything built on it load only when a file is analysed, so a scan
    # whose results all come from the cache starts in a fraction of the time.
    from exportlint.analysis import FileFacts
    from exportlint.rules.base import Pending, Rule
    from exportlint.source import SourceFile

__all__ = ["scan_file", "selected_rules"]
# Calls into these never lead back into the scanned tree.
_EXTERNAL_PACKAGES = frozenset(sys.stdlib_module_names) | {"torch", "numpy", "np", "einops", "torchvision", "timm"}


def scan_file(
    path: Path,
    config: Config,
    known: frozenset[str] = frozenset(),
    display: str | None = None,
    roots: frozenset[str] = frozenset(),
    data: bytes | None = None,
) -> FileResult:
    """Analyse one file. Never raises: problems become `FileResult.error` or internal-error findings.

    Args:
        path: the file.
        config: the effective configuration.
        known: nn.Module class names defined elsewhere in the scanned tree.
        display: the path shown in reports (default: `path`).
        roots: module-level functions that forward code in other files reaches.
        data: the file's bytes when already read (the cache keys results by exactly these).
    """
    name = display or str(path)
    step = _Step()
    try:
        return _analyse_file(path, name, config, known, roots, data, step)
    except SourceError as e:
        return FileResult(name, error=str(e))
    except Exception as e:  # noqa: BLE001 - one file's problem must not stop the scan
        message = f"internal error while {step.name}: {type(e).__name__}: {e}"
        where = Location(name, 1, 0, 1, 0)
        return FileResult(name, (Finding("EXL000", "internal-error", message, where, severity="error"),))


@dataclasses.dataclass
class _Step:
    """The step of a file's analysis under way, named in internal-error findings."""

    name: str = "reading the file"


def _analyse_file(
    path: Path, name: str, config: Config, known: frozenset[str], roots: frozenset[str], data: bytes | None, step: _Step
) -> FileResult:
    from exportlint.source import check_syntax, outline, parse_source, read_source
    from exportlint.suppress import apply_suppressions

    text = read_source(path, data)
    step.name = "checking syntax"
    tree = check_syntax(name, text)
    rules = selected_rules(config)
    findings: list[Finding] = []
    facts = None
    # A file that defines no nn.Module and that no forward code reaches cannot have findings:
    # CPython's parse above is all it costs.
    if roots or may_define_module(tree, known):
        step.name = "parsing"
        source = parse_source(name, text, checked=True, syntax=outline(tree))
        step.name = "building facts"
        facts = _facts(source, known, roots, config.entry_points)
        findings.extend(_run_rules(rules, source, facts, config))
    step.name = "applying suppressions"
    # Suppressions depend only on this file's text, path and the config: cached results stay right.
    findings = apply_suppressions(findings, text, path, name, config, rules)
    findings.sort(key=lambda f: (f.location.line, f.location.column, f.code))
    step.name = "recording calls"
    module = module_name(path)
    if facts is None:
        return FileResult(name, tuple(findings), module=module)
    calls = [(c, t) for c, t in facts.external_calls if t.split(".")[0] not in _EXTERNAL_PACKAGES]
    links = [(c, t) for c, t in facts.links if t.split(".")[0] not in _EXTERNAL_PACKAGES]
    package = path.name == "__init__.py"
    return FileResult(
        name,
        tuple(findings),
        module=module,
        reached=tuple(sorted({f.symbol for f in facts.flows})),
        calls=qualified_calls(module, calls, package),
        entries=tuple(sorted(set(facts.entries))),
        edges=tuple(sorted(set(facts.edges))),
        links=qualified_calls(module, links, package),
    )


def _facts(source: SourceFile, known: frozenset[str], roots: frozenset[str],
           entry_points: tuple[str, ...] = ()) -> FileFacts:
    from exportlint.analysis import build_facts

    facts = build_facts(source.tree, known, roots, entry_points)
    facts.position_of = source.position
    facts.text = source.text
    return facts


def selected_rules(config: Config) -> list[type[Rule]]:
    """The rules the configuration selects."""
    from exportlint.rules import ALL_RULES

    chosen = []
    for rule in ALL_RULES:
        keys = {rule.code, rule.name}
        selected = not config.select or bool(keys & set(config.select)) or any(rule.code.startswith(s) for s in config.select)
        selected = selected or bool(keys & set(config.extend_select))
        if selected and not (keys & set(config.ignore)):
            chosen.append(rule)
    return chosen


def _run_rules(rule_classes: Sequence[type[Rule]], source: SourceFile, facts: FileFacts, config: Config) -> list[Finding]:
    """All rules over one file, in one walk of each reachable function (see `traverse`)."""
    from exportlint.traverse import run_rules

    findings: list[Finding] = []
    rules: list[Rule] = []
    for rule_cls in rule_classes:
        try:
            rules.append(rule_cls(facts))
        except Exception as e:  # noqa: BLE001 - one rule's bug must not stop the scan
            findings.append(_internal_error(rule_cls, source, e))
    failed = run_rules(rules, facts)
    for rule in rules:
        try:
            found = [_finding(type(rule), p, source, config) for p in rule.pending] if rule not in failed else []
        except Exception as e:  # noqa: BLE001 - e.g. a node that is not part of this file
            failed[rule] = e
        findings.extend([_internal_error(type(rule), source, failed[rule])] if rule in failed else found)
    return findings


def _internal_error(rule_cls: type[Rule], source: SourceFile, e: Exception) -> Finding:
    where = Location(source.path, 1, 0, 1, 0)
    message = f"internal error in rule {rule_cls.name}: {type(e).__name__}: {e}"
    return Finding("EXL000", "internal-error", message, where, severity="error")


def _run_rule(rule_cls: type[Rule], source: SourceFile, facts: FileFacts, config: Config) -> list[Finding]:
    """One rule over one file on its own (libcst's own traversal): the reference `_run_rules` matches."""
    rule = rule_cls(facts)
    try:
        for info in facts.module_classes:
            rule.root = info.node
            rule.check_class(info)
        if "forward" in rule.scopes:
            for flow in facts.flows:
                rule.enter_function(flow, "forward")
                flow.fn.visit(rule)
        if "init" in rule.scopes:
            for flow in facts.init_flows:
                rule.enter_function(flow, "init")
                flow.fn.visit(rule)
        return [_finding(rule_cls, p, source, config) for p in rule.pending]
    except Exception as e:  # noqa: BLE001 - one rule's bug must not stop the scan
        where = Location(source.path, 1, 0, 1, 0)
        message = f"internal error in rule {rule_cls.name}: {type(e).__name__}: {e}"
        return [Finding("EXL000", "internal-error", message, where, severity="error")]


def _finding(rule_cls: type[Rule], p: Pending, source: SourceFile, config: Config) -> Finding:
    pos = source.position(p.node, p.root)
    loc = Location(source.path, pos.start.line, pos.start.column, pos.end.line, pos.end.column)
    severity = config.severity.get(rule_cls.name) or config.severity.get(rule_cls.code)
    return Finding(
        code=rule_cls.code,
        rule=rule_cls.name,
        message=p.message,
        location=loc,
        outcomes=p.outcomes,
        severity=severity or severity_for(p.outcomes, config.exporter),
        symbol=p.symbol,
        hint=p.hint,
    )
