"""Rule documentation: the rule table and one code's doc, from the catalogue."""

from __future__ import annotations

import inspect
import json

from exportlint.rules.base import Rule
from exportlint.rules.catalog import CATALOG, RuleDoc

DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example")

# What a code that is not a static rule is, said under its title.
_KIND_NOTE = {
    "probe only": "Reported only by `exportlint probe` and `exportlint scan --probe`; no static rule "
                  "finds it.",
    "suppression": "Reported by `exportlint scan` about suppression comments; not a rule to select or "
                   "ignore.",
    "internal": "Reported by `exportlint scan` when exportlint itself fails; not a rule to select or "
                "ignore.",
}


def rule_doc(doc: RuleDoc) -> str:
    """The user doc of a code, under a `# slug (CODE)` title."""
    note = f"{_KIND_NOTE[doc.kind]}\n\n" if doc.kind in _KIND_NOTE else ""
    return f"# {doc.name} ({doc.code})\n\n{doc.summary}.\n\n{note}{doc.doc}\n"


def rules_json() -> str:
    """The rule table as JSON: every code, with its kind."""
    rows = [{"code": d.code, "name": d.name, "kind": d.kind, "summary": d.summary, "hint": d.hint}
            for d in CATALOG]
    return json.dumps(rows, indent=2) + "\n"


def render_rule_table() -> None:
    """Print the rule table with rich."""
    from exportlint.report.terminal import make_console, rules_table

    make_console().print(rules_table([(d.code, d.name, d.kind, d.summary) for d in CATALOG]))


def readme_rule_section(rule: type[Rule]) -> str:
    """A rule's README section: its heading (the anchor SARIF's helpUri points at), what it does and why."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    what = doc.split("## What it does", 1)[1].split("## Why is this bad?", 1)[0].strip()
    why = doc.split("## Why is this bad?", 1)[1].split("## Example", 1)[0].strip()
    return (f"### {rule.name}\n\n**{rule.code}** — {what}\n\n{why}\n\n"
            f"Examples and fix safety: `exportlint rule {rule.name}`.\n")
