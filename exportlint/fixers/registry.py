"""The fixer registry: which fixers exist, in the order they are applied."""

from __future__ import annotations

from exportlint.errors import ConfigError
from exportlint.fixers.base import Fixer
from exportlint.fixers.data_dependent_index import DataDependentIndexFixer
from exportlint.fixers.dict_access import DictAccessFixer
from exportlint.fixers.dynamic_branch import DynamicBranchFixer
from exportlint.fixers.dynamic_loop import DynamicLoopFixer
from exportlint.fixers.hardcoded_device import HardcodedDeviceFixer
from exportlint.fixers.list_tensor_input import ListTensorInputFixer
from exportlint.fixers.tensor_to_python import TensorToPythonFixer
from exportlint.fixers.unsupported_op import UnsupportedOpFixer
from exportlint.fixers.variable_length_cat import VariableLengthCatFixer

# Fixers that change the wrapper's interface come first, method rewrites after them.
ALL_FIXERS: tuple[type[Fixer], ...] = (
    ListTensorInputFixer,
    DictAccessFixer,
    DynamicLoopFixer,
    VariableLengthCatFixer,
    DynamicBranchFixer,
    DataDependentIndexFixer,
    HardcodedDeviceFixer,
    TensorToPythonFixer,
    UnsupportedOpFixer,
)

FIXERS_BY_RULE: dict[str, type[Fixer]] = {f.rule: f for f in ALL_FIXERS}


def select_fixers(rules: tuple[str, ...] | list[str]) -> list[Fixer]:
    """Instances of the fixers for `rules` (slugs or codes), or of every fixer when empty.

    Fixers of one group (the tracker memory pattern) are applied once.

    Raises:
        ConfigError: a rule has no fixer.
    """
    wanted = [_slug(r) for r in rules] or [f.rule for f in ALL_FIXERS]
    unknown = [r for r in wanted if r not in FIXERS_BY_RULE]
    if unknown:
        have = ", ".join(FIXERS_BY_RULE)
        raise ConfigError(f"no fixer for {', '.join(unknown)} (fixers exist for: {have})")
    picked: list[Fixer] = []
    groups: set[str] = set()
    for fixer in ALL_FIXERS:
        if fixer.rule not in wanted or (fixer.group and fixer.group in groups):
            continue
        groups.add(fixer.group)
        picked.append(fixer())
    return picked


def _slug(rule: str) -> str:
    try:
        from exportlint.rules import find_rule
    except ImportError:
        return rule
    found = find_rule(rule)
    return found.name if found is not None else rule
