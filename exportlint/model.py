"""The shared data model: frozen dataclasses passed between every layer, no logic beyond derivation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]
Origin = Literal["static", "probe"]
Exporter = Literal["dynamo", "legacy"]
ExporterChoice = Literal["dynamo", "legacy", "both"]
Verdict = Literal["confirmed", "refuted", "not-exercised"]
Safety = Literal["safe", "unsafe"]

# What one exporter does with a pattern:
#   "fails"       export raises
#   "wrong"       export succeeds but the graph is silently wrong on other inputs
#   "specialized" export succeeds with one path / the example's shape or layout baked in
#   "ok"          exports and stays right
Outcome = Literal["fails", "wrong", "specialized", "ok"]

EXPORTERS: tuple[Exporter, ...] = ("dynamo", "legacy")
# A `FileResult.links` target that a builder in another file decides, until resolved:
# `?Owner:param` (the module passed as `param`) or `?Owner:param.member` (its method or submodule).
INJECTED_MARK = "?"
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
_OUTCOME_SEVERITY: dict[str, Severity] = {
    "fails": "error",
    "wrong": "error",
    "specialized": "warning",
    "ok": "info",
}


def selected_exporters(choice: ExporterChoice) -> tuple[Exporter, ...]:
    """Return the exporters a `--exporter` choice selects."""
    return EXPORTERS if choice == "both" else (choice,)


def severity_for(outcomes: Outcomes, choice: ExporterChoice) -> Severity:
    """The severity of a pattern: the worst outcome among the selected exporters.

    Args:
        outcomes: what each exporter does with the pattern.
        choice: the exporters that count.

    Returns:
        "error" when a selected exporter fails or is silently wrong, "warning" when it
        specializes, "info" otherwise.
    """
    severities = [_OUTCOME_SEVERITY[outcomes.of(e)] for e in selected_exporters(choice)]
    return max(severities, key=SEVERITY_RANK.__getitem__, default="info")


@dataclass(frozen=True, slots=True)
class Outcomes:
    """What the dynamo exporter and the legacy tracer each do with a pattern."""

    dynamo: Outcome
    legacy: Outcome

    def of(self, exporter: Exporter) -> Outcome:
        return self.dynamo if exporter == "dynamo" else self.legacy

    @staticmethod
    def same(outcome: Outcome) -> Outcomes:
        return Outcomes(outcome, outcome)


@dataclass(frozen=True, slots=True)
class Location:
    """A span in a source file. Lines are 1-based, columns 0-based."""

    path: str
    line: int
    column: int = 0
    end_line: int = 0
    end_column: int = 0


@dataclass(frozen=True, slots=True)
class Fix:
    """A remedy a fixer can apply: a wrapper module, never an edit of the user's code."""

    title: str
    safety: Safety
    fixer: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem, from the static scan or from a probe."""

    code: str
    rule: str
    message: str
    location: Location
    origin: Origin = "static"
    outcomes: Outcomes = field(default_factory=lambda: Outcomes.same("ok"))
    severity: Severity = "info"
    symbol: str = ""
    hint: str = ""
    fix: Fix | None = None
    exporter: Exporter | None = None
    evidence: str | None = None
    verdict: Verdict | None = None
    # The outermost entry points whose code reaches this finding, as `pkg.module:Class.method`.
    entry_points: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything the scan learned about one file."""

    path: str
    findings: tuple[Finding, ...] = ()
    error: str | None = None
    # For the package call graph: the file's dotted module name, the symbols analysed as
    # reachable from forward, and (caller symbol, qualified callee) calls leaving the file.
    module: str = ""
    reached: tuple[str, ...] = ()
    calls: tuple[tuple[str, str], ...] = ()
    # For entry points: the symbols analysis started from in this file, the calls between this
    # file's symbols, and (qualified caller, qualified class forward) for submodules built from
    # imported classes.
    entries: tuple[str, ...] = ()
    edges: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
