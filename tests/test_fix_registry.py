"""The fixer registry: one fixer per rule file, paired with a registered rule."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import exportlint.fixers
from exportlint.errors import ConfigError
from exportlint.fixers import ALL_FIXERS, FIXERS_BY_RULE, select_fixers
from exportlint.rules import find_rule

FIXERS_DIR = Path(exportlint.fixers.__file__).parent


@pytest.mark.parametrize("fixer", ALL_FIXERS, ids=lambda f: f.rule)
def test_each_fixer_pairs_with_a_rule_and_its_file(fixer: type) -> None:
    rule = find_rule(fixer.rule)
    assert rule is not None, f"{fixer.__name__}.rule names no registered rule"
    snake = fixer.rule.replace("-", "_")
    assert (FIXERS_DIR / f"{snake}.py").is_file()
    assert fixer.__name__ == f"{rule.__name__}Fixer"
    assert fixer.__module__ == f"exportlint.fixers.{snake}"


def test_the_top_of_the_package_lists_one_file_per_fixer() -> None:
    files = {p.stem for p in FIXERS_DIR.glob("*.py")} - {"__init__"}
    assert files == {f.rule.replace("-", "_") for f in ALL_FIXERS}


def test_select_by_code_and_a_shared_remedy_applies_once() -> None:
    picked = select_fixers(["EXL101", "dict-access", "dynamic-loop", "variable-length-cat"])
    assert [f.rule for f in picked] == ["dict-access", "dynamic-branch"]
    everything = [f.rule for f in select_fixers([])]
    assert everything.count("dict-access") == 1 and "dynamic-loop" not in everything


def test_a_later_rule_of_a_shared_remedy_is_applied_under_its_own_name() -> None:
    picked = select_fixers(["variable-length-cat", "dynamic-loop"])
    assert [type(f).__name__ for f in picked] == ["DynamicLoopFixer"]
    assert set(picked[0].fixed_rules()) == {"dict-access", "dynamic-loop", "variable-length-cat"}
    assert [f.rule for f in select_fixers(["variable-length-cat"])] == ["variable-length-cat"]


@pytest.mark.parametrize("fixer", ALL_FIXERS, ids=lambda f: f.rule)
def test_every_rule_a_fixer_fixes_is_registered(fixer: type) -> None:
    assert fixer.fixed_rules()[0] == fixer.rule
    assert all(rule in FIXERS_BY_RULE for rule in fixer.fixed_rules())


@pytest.mark.parametrize("fixer", ALL_FIXERS, ids=lambda f: f.rule)
def test_every_rule_with_a_fixer_documents_its_fix_safety(fixer: type) -> None:
    rule = find_rule(fixer.rule)
    assert rule is not None and rule.__doc__
    doc = inspect.cleandoc(rule.__doc__)
    head, found, section = doc.partition("## Fix safety\n")
    assert found, f"{rule.name} has a fixer but its doc has no '## Fix safety' section"
    assert "## Example" in head, "Fix safety comes after the example"
    text = section.split("\n## ", 1)[0].strip()
    assert text.startswith(f"{fixer.safety.capitalize()}:"), (
        f"{rule.name}: the section must open with '{fixer.safety.capitalize()}:', the fixer's safety")
    assert len(text.split()) >= 12, f"{rule.name}: say what the fixer changes and what it assumes"


def test_unknown_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no fixer for injected-module"):
        select_fixers(["injected-module"])
