"""The catalogue of every code exportlint reports, each with its doc.

The static rules of `ALL_RULES` (which `scan` runs), the codes only the probe reports
(EXL9xx) and the scan's reports about itself (EXL000 internal-error, EXL001 unused-ignore).
`exportlint rule KEY` / `exportlint rules` read it, and the probe takes its codes and hints
from it, so a code exists in one place.
"""

from __future__ import annotations

import difflib

from exportlint.rules import ALL_RULES
from exportlint.rules.catalog.entry import Kind, RuleDoc, static_doc
from exportlint.rules.catalog.probe_only import PROBE_ONLY
from exportlint.rules.catalog.scan_only import INTERNAL_ERROR, SCAN_ONLY, UNUSED_IGNORE

__all__ = ["CATALOG", "INTERNAL_ERROR", "UNUSED_IGNORE", "Kind", "RuleDoc", "code_for", "did_you_mean", "find_doc",
           "is_known_key", "probe_hint", "suggest"]

CATALOG: tuple[RuleDoc, ...] = tuple(
    sorted([*(static_doc(r) for r in ALL_RULES), *PROBE_ONLY, *SCAN_ONLY], key=lambda d: d.code)
)

_BY_KEY: dict[str, RuleDoc] = {**{d.name: d for d in CATALOG}, **{d.code: d for d in CATALOG}}


def find_doc(key: str) -> RuleDoc | None:
    """A catalogue entry by slug (`eager-failure`) or code (`EXL901`, any case)."""
    return _BY_KEY.get(key) or _BY_KEY.get(key.upper())


def is_known_key(key: str) -> bool:
    """A slug or code of the catalogue (any case for codes), or a code prefix (`EXL1`) of one."""
    upper = key.upper()
    return find_doc(key) is not None or (upper.startswith("EXL") and any(d.code.startswith(upper) for d in CATALOG))


def code_for(slug: str) -> str:
    """The code of a slug the probe reports.

    Raises:
        KeyError: the slug is not in the catalogue.
    """
    return _BY_KEY[slug].code


def probe_hint(slug: str) -> str:
    """The hint of a probe finding of `slug`: the static rule's probe hint, else the entry's hint."""
    doc = _BY_KEY[slug]
    return doc.probe_hint or doc.hint


def suggest(key: str) -> str | None:
    """The slug or code closest to a misspelt `key` (difflib), if one is close enough."""
    upper = key.upper()
    if upper.startswith("EXL"):
        codes = difflib.get_close_matches(upper, [d.code for d in CATALOG], n=1, cutoff=0.7)
        return codes[0] if codes else None
    names = difflib.get_close_matches(key.lower(), [d.name for d in CATALOG], n=1, cutoff=0.6)
    return names[0] if names else None


def did_you_mean(key: str) -> str:
    """`"; did you mean `dynamic-branch`?"` for a misspelt key, `""` when nothing is close."""
    close = suggest(key)
    return f"; did you mean `{close}`?" if close else ""
