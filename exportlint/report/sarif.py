"""SARIF 2.1.0: one run with the rule metadata and a result per finding, for code-scanning viewers."""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from exportlint import __version__
from exportlint.model import FileResult, Finding
from exportlint.report.docs import rule_doc
from exportlint.rules import ALL_RULES
from exportlint.rules.base import Rule
from exportlint.rules.catalog.entry import static_doc

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SRCROOT = "%SRCROOT%"
_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)


def project_url() -> str | None:
    """The project's home page from the installed package metadata (the README lives there)."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata

        urls = metadata("exportlint").get_all("Project-URL") or []
    except (ImportError, PackageNotFoundError):
        return None
    by_label = {label.strip().lower(): url.strip() for label, _, url in (u.partition(",") for u in urls)}
    return next((by_label[k] for k in ("homepage", "repository", "source", "documentation") if k in by_label), None)


def doc_sections(rule: type[Rule]) -> dict[str, str]:
    """The `## Section` bodies of a rule's docstring, by section title."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    parts = _SECTION.split(doc)
    return {title.strip(): body.strip() for title, body in zip(parts[1::2], parts[2::2])}


def rule_descriptor(rule: type[Rule], base_url: str | None) -> dict[str, Any]:
    """A reportingDescriptor: id = code, name = slug, descriptions and help from the rule doc."""
    sections = doc_sections(rule)
    full = "\n\n".join(s for s in (sections.get("What it does"), sections.get("Why is this bad?")) if s)
    doc = rule_doc(static_doc(rule))
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": full or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "properties": {"tags": ["onnx", "pytorch-export"]},
    }
    if base_url:
        # The README has one section per rule, headed by its slug.
        descriptor["helpUri"] = f"{base_url.rstrip('/')}#{rule.name}"
    return descriptor


def artifact_location(path: str) -> dict[str, Any]:
    """A file as a URI: relative paths stay relative to the source root, others become file URIs."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(Path(path).as_posix(), safe="/"), "uriBaseId": SRCROOT}


def region(f: Finding) -> dict[str, int]:
    """A 1-based region; `endColumn` is the column after the span."""
    loc = f.location
    out = {"startLine": max(loc.line, 1), "startColumn": loc.column + 1}
    if loc.end_line > loc.line or (loc.end_line == loc.line and loc.end_column > loc.column):
        out.update(endLine=loc.end_line, endColumn=loc.end_column + 1)
    return out


def result(f: Finding, index: int) -> dict[str, Any]:
    """A SARIF result for one finding."""
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": artifact_location(f.location.path), "region": region(f)},
    }
    if f.symbol:
        location["logicalLocations"] = [{"fullyQualifiedName": f.symbol, "kind": "function"}]
    properties: dict[str, Any] = {"rule": f.rule, "severity": f.severity, "origin": f.origin,
                                  "exporters": {"dynamo": f.outcomes.dynamo, "legacy": f.outcomes.legacy}}
    if f.verdict:
        properties["verdict"] = f.verdict
    if f.entry_points:
        properties["entryPoints"] = list(f.entry_points)
    text = f.message + (f"\n\nHint: {f.hint}" if f.hint else "")
    return {"ruleId": f.code, "ruleIndex": index, "level": LEVEL.get(f.severity, "warning"),
            "message": {"text": text}, "locations": [location], "properties": properties}


def build_sarif(results: Sequence[FileResult], base_url: str | None = None) -> dict[str, Any]:
    """The SARIF log as a dict. `base_url` defaults to the package's project URL."""
    url = base_url if base_url is not None else project_url()
    rules = [rule_descriptor(r, url) for r in ALL_RULES]
    index = {r.code: i for i, r in enumerate(ALL_RULES)}
    findings = [f for r in results for f in r.findings]
    for f in findings:  # internal errors, unused ignores and probe codes are not in ALL_RULES
        if f.code not in index:
            index[f.code] = len(rules)
            rules.append({"id": f.code, "name": f.rule, "shortDescription": {"text": f.rule.replace("-", " ")}})
    errors = [r for r in results if r.error is not None]
    driver: dict[str, Any] = {"name": "exportlint", "version": __version__, "semanticVersion": __version__,
                              "rules": rules}
    if url:
        driver["informationUri"] = url
    run = {
        "tool": {"driver": driver},
        "invocations": [{"executionSuccessful": not errors,
                         "toolExecutionNotifications": [_notification(r) for r in errors]}],
        "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result(f, index[f.code]) for f in findings],
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def _notification(r: FileResult) -> dict[str, Any]:
    return {"level": "error", "message": {"text": r.error or ""},
            "locations": [{"physicalLocation": {"artifactLocation": artifact_location(r.path)}}]}


def render_sarif(results: Sequence[FileResult]) -> str:
    """The SARIF log as indented JSON."""
    return json.dumps(build_sarif(results), indent=2) + "\n"
