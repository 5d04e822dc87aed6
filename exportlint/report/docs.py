"""Rule documentation: the rule table and one rule's doc, from the rule classes' docstrings."""

from __future__ import annotations

import inspect
import json

from exportlint.rules import ALL_RULES
from exportlint.rules.base import Rule

DOC_SECTIONS = ("## What it does", "## Why is this bad?", "## Example")


def rule_doc(rule: type[Rule]) -> str:
    """The user doc of a rule, under a `# slug (CODE)` title."""
    body = inspect.cleandoc(rule.__doc__ or "")
    return f"# {rule.name} ({rule.code})\n\n{rule.summary}.\n\n{body}\n"


def rules_json() -> str:
    """The rule table as JSON."""
    rows = [{"code": r.code, "name": r.name, "summary": r.summary, "hint": r.hint} for r in ALL_RULES]
    return json.dumps(rows, indent=2) + "\n"


def render_rule_table() -> None:
    """Print the rule table with rich."""
    from exportlint.report.terminal import make_console, rules_table

    make_console().print(rules_table([(r.code, r.name, r.summary) for r in ALL_RULES]))


def readme_rule_section(rule: type[Rule]) -> str:
    """A rule's README section: its heading (the anchor SARIF's helpUri points at), what it does and why."""
    doc = inspect.cleandoc(rule.__doc__ or "")
    what = doc.split("## What it does", 1)[1].split("## Why is this bad?", 1)[0].strip()
    why = doc.split("## Why is this bad?", 1)[1].split("## Example", 1)[0].strip()
    return (f"### {rule.name}\n\n**{rule.code}** — {what}\n\n{why}\n\n"
            f"Examples and fix safety: `exportlint rule {rule.name}`.\n")
