"""The rule registry: ALL_RULES, sorted by code, and lookup by slug or code."""

from __future__ import annotations

from exportlint.rules.base import Rule
from exportlint.rules.data_dependent_index import DataDependentIndex
from exportlint.rules.dict_access import DictAccess
from exportlint.rules.dynamic_branch import DynamicBranch
from exportlint.rules.dynamic_loop import DynamicLoop
from exportlint.rules.hardcoded_device import HardcodedDevice
from exportlint.rules.injected_module import InjectedModule
from exportlint.rules.list_tensor_input import ListTensorInput
from exportlint.rules.tensor_to_python import TensorToPython
from exportlint.rules.unsupported_op import UnsupportedOp
from exportlint.rules.variable_length_cat import VariableLengthCat

ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        [
            DynamicBranch,
            DynamicLoop,
            ListTensorInput,
            DictAccess,
            DataDependentIndex,
            TensorToPython,
            VariableLengthCat,
            UnsupportedOp,
            HardcodedDevice,
            InjectedModule,
        ],
        key=lambda r: r.code,
    )
)

RULES_BY_KEY: dict[str, type[Rule]] = {
    **{r.name: r for r in ALL_RULES},
    **{r.code: r for r in ALL_RULES},
}


def find_rule(key: str) -> type[Rule] | None:
    """A rule by slug (`dynamic-branch`) or code (`EXL101`, any case)."""
    return RULES_BY_KEY.get(key) or RULES_BY_KEY.get(key.upper())
