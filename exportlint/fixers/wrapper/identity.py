"""The starting plan: the identity wrapper for one call of the user's module.

Tensor arguments become graph inputs named after their parameters; `None` and Python values
are frozen to the example's values (the exporters bake them in anyway); lists, tuples and
dicts of tensors are passed through until a fixer gives them a flat interface. Outputs are
flattened in the order the exporters use, named after dict keys where there are some.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from typing import Any

from exportlint.fixers.facts.runtime import RuntimeFacts
from exportlint.fixers.facts.source_index import SourceIndex
from exportlint.fixers.wrapper.plan import CallArg, GraphInput, ParamFact, WrapperPlan
from exportlint.target import TargetRef


def bind_params(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> list[ParamFact]:
    """The original forward's parameters bound to the example call, in signature order."""
    signature = inspect.signature(module.forward)
    bound = signature.bind(*args, **kwargs)
    facts = []
    for i, (name, param) in enumerate(signature.parameters.items()):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        passed = name in bound.arguments
        value = bound.arguments[name] if passed else param.default
        default = None if param.default is param.empty else repr(param.default)
        positional = passed and i < len(args)
        facts.append(ParamFact(name, classify(value), positional, value, default)
                     if passed else ParamFact(name, classify(value), False, value, default))
    return facts


def classify(value: Any) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return "tensor"
    if value is None:
        return "none"
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return "tensors"
    if isinstance(value, Mapping):
        return "dict"
    if _literal(value):
        return "value"
    return "other"


def _literal(value: Any) -> bool:
    """A Python value the wrapper can write as a literal: numbers, strings, None, and lists or
    tuples of them (SAM3's tracker transformer takes `feat_sizes=[(72, 72)]`, `[None]` masks)."""
    if isinstance(value, (bool, int, float, str, type(None))):
        return True
    return type(value) in (list, tuple) and all(_literal(v) for v in value)


def identity_plan(
    ref: TargetRef, index: SourceIndex, facts: RuntimeFacts, params: list[ParamFact], output: Any
) -> WrapperPlan:
    """The plan before any fixer: see the module docstring."""
    plan = WrapperPlan(ref, index, facts, params)
    for p in params:
        if p.kind in ("tensor", "tensors", "dict", "other"):
            plan.inputs.append(GraphInput(p.name, p.name, _annotation(p)))
        expr = p.name if p.kind in ("tensor", "tensors", "dict", "other") else repr(p.value)
        if p.kind in ("value", "none") and p.default is not None and not p.positional and \
                repr(p.value) == p.default:
            continue  # left at its default, as the example call did
        plan.call.append(CallArg(None if p.positional else p.name, expr))
        if p.kind in ("value", "none"):
            plan.note("inputs", f"`{p.name}={expr}`: not a tensor, so not a graph input; the "
                      "wrapper passes the example's value.")
    plan.outputs = output_specs(output)
    return plan


def _annotation(p: ParamFact) -> str:
    return {"tensor": "Tensor", "tensors": "list[Tensor]", "dict": "dict"}.get(p.kind, "object")


def output_specs(output: Any, expr: str = "out", name: str = "") -> list[tuple[str, str]]:
    """(graph output name, expression on `out`) for each tensor leaf, in exporter order."""
    import torch

    if isinstance(output, torch.Tensor):
        return [(name or "output", expr)]
    if isinstance(output, (list, tuple)):
        return [spec for i, item in enumerate(output)
                for spec in output_specs(item, f"{expr}[{i}]", _join(name or "output", str(i)))]
    if isinstance(output, Mapping):
        return [spec for key, item in output.items()
                for spec in output_specs(item, f"{expr}[{_literal_key(key)}]", _join(name, str(key)))]
    return []


def _literal_key(key: Any) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' if isinstance(key, str) else repr(key)


def _join(prefix: str, key: str) -> str:
    cleaned = re.sub(r"\W", "_", key)
    return f"{prefix}_{cleaned}" if prefix else cleaned
