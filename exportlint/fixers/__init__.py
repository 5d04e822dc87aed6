"""Fixers: one per rule, each changing a wrapper plan so the wrapper exports faithfully.

This package lists exactly one file per rule that has a fixer (`<rule_slug>.py` defining
`<Rule>Fixer`) and the registry below. The machinery lives in sub-packages:

- `wrapper/`: the `Fixer` base, the `WrapperPlan` fixers edit, the identity plan they start
  from, and the rendering of a plan as the wrapper module's source;
- `rewrites/`: libcst edits of the user's methods (generic codemods, branch rewrites,
  complex numbers as real pairs);
- `facts/`: what the target is (file and factory, parsed source, one traced eager forward,
  the CPU shim for CUDA-only code);
- `memory/`: the fixed-slot memory remedy shared by dict-access, dynamic-loop and
  variable-length-cat;
- `pipeline/`: `exportlint fix` itself: build the target in a child process, plan, render,
  write, export and verify on onnxruntime against the eager original.
"""
from __future__ import annotations

from exportlint.errors import ConfigError
from exportlint.fixers.data_dependent_index import DataDependentIndexFixer
from exportlint.fixers.dict_access import DictAccessFixer
from exportlint.fixers.dynamic_branch import DynamicBranchFixer
from exportlint.fixers.dynamic_loop import DynamicLoopFixer
from exportlint.fixers.hardcoded_device import HardcodedDeviceFixer
from exportlint.fixers.list_tensor_input import ListTensorInputFixer
from exportlint.fixers.tensor_to_python import TensorToPythonFixer
from exportlint.fixers.unsupported_op import UnsupportedOpFixer
from exportlint.fixers.variable_length_cat import VariableLengthCatFixer
from exportlint.fixers.wrapper.fixer import Fixer

__all__ = ["ALL_FIXERS", "FIXERS_BY_RULE", "select_fixers"]

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

    A fixer whose rule an earlier selected fixer already fixes (`Fixer.fixes`) is skipped:
    selecting dict-access and dynamic-loop applies the fixed-slot memory remedy once.

    Raises:
        ConfigError: a rule has no fixer.
    """
    wanted = [_slug(r) for r in rules] or [f.rule for f in ALL_FIXERS]
    unknown = [r for r in wanted if r not in FIXERS_BY_RULE]
    if unknown:
        have = ", ".join(FIXERS_BY_RULE)
        raise ConfigError(f"no fixer for {', '.join(unknown)} (fixers exist for: {have})")
    picked: list[Fixer] = []
    fixed: set[str] = set()
    for fixer in ALL_FIXERS:
        if fixer.rule not in wanted or fixer.rule in fixed:
            continue
        fixed.update(fixer.fixed_rules())
        picked.append(fixer())
    return picked


def _slug(rule: str) -> str:
    try:
        from exportlint.rules import find_rule
    except ImportError:
        return rule
    found = find_rule(rule)
    return found.name if found is not None else rule
