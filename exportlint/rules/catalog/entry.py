"""`RuleDoc`: one documented code of the catalogue, whatever reports it."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from exportlint.rules.base import Rule

# "static": a rule of ALL_RULES, run by `scan`; "probe only": reported by the probe alone;
# "suppression": about `# exportlint: ignore` comments; "internal": exportlint's own failure.
Kind = Literal["static", "probe only", "suppression", "internal"]


@dataclass(frozen=True, slots=True)
class RuleDoc:
    """A code's public ID, what it is about and its user doc (markdown `##` sections).

    `hint` is what a finding of this code tells the user to do; for a static rule, `probe_hint`
    is the hint of a probe finding pinned to the rule.
    """

    code: str
    name: str
    kind: Kind
    summary: str
    hint: str
    doc: str
    probe_hint: str = ""


def static_doc(rule: type[Rule]) -> RuleDoc:
    """The catalogue entry of a static rule, read from its class (the docstring is the doc)."""
    return RuleDoc(rule.code, rule.name, "static", rule.summary, rule.hint,
                   inspect.cleandoc(rule.__doc__ or ""), rule.probe_hint)
