"""list-tensor-input fixer: one named graph input per tensor of a list, tuple or dict argument.

The wrapper's forward takes `feats_0, feats_1, ...` (or `feats_<key>` for a dict of tensors),
rebuilds the container exactly as the example passed it and calls the user's module with it.
The number of tensors (and the dict keys) is pinned to the example's: the ONNX graph has that
many inputs, named after the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import GraphInput, ParamFact, WrapperPlan


class ListTensorInputFixer(Fixer):
    rule = "list-tensor-input"
    title = "Flatten list/tuple/dict tensor inputs into named graph inputs"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        for param in plan.params:
            if param.kind == "tensors":
                _flatten_sequence(plan, param)
            elif param.kind == "dict" and _flat_tensor_dict(param.value):
                _flatten_dict(plan, param)


def _flat_tensor_dict(value: Any) -> bool:
    import torch

    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def _flatten_sequence(plan: WrapperPlan, param: ParamFact) -> None:
    count = len(param.value)
    names = [f"{param.name}_{i}" for i in range(count)]
    sources = [f"{param.name}[{i}]" for i in range(count)]
    opener, closer = ("[", "]") if isinstance(param.value, list) else ("(", ",)" if count == 1 else ")")
    rebuilt = f"{param.name} = {opener}{', '.join(names)}{closer}"
    _replace_input(plan, param.name, names, sources, rebuilt)
    kind = type(param.value).__name__
    inputs = f"graph input {names[0]}" if count == 1 else f"graph inputs {names[0]} .. {names[-1]}"
    plan.note(ListTensorInputFixer.rule, f"`{param.name}` ({kind} of {count} "
              f"tensor{'s' if count != 1 else ''}) becomes the {inputs}; the wrapper rebuilds the "
              f"{kind}, so the graph takes exactly {count}.")


def _flatten_dict(plan: WrapperPlan, param: ParamFact) -> None:
    keys = list(param.value)
    names = [f"{param.name}_{re.sub(r'[^0-9a-zA-Z_]', '_', k)}" for k in keys]
    sources = [f"{param.name}[{k!r}]".replace("'", '"') for k in keys]
    items = ", ".join(f'"{k}": {n}' for k, n in zip(keys, names))
    _replace_input(plan, param.name, names, sources, f"{param.name} = {{{items}}}")
    plan.note(ListTensorInputFixer.rule, f"`{param.name}` (dict of {len(keys)} tensors, keys "
              f"{', '.join(keys)}) becomes one graph input per key; the keys are pinned.")


def _replace_input(plan: WrapperPlan, name: str, names: list[str], sources: list[str],
                   rebuilt: str) -> None:
    position = next(i for i, g in enumerate(plan.inputs) if g.name == name)
    flat = [GraphInput(n, s) for n, s in zip(names, sources)]
    plan.inputs[position:position + 1] = flat
    plan.prelude.append(rebuilt)
    for axis_owner in [k for k in plan.dynamic_axes if k == name]:
        axes = plan.dynamic_axes.pop(axis_owner)
        for n in names:
            plan.dynamic_axes[n] = {a: f"{n}_dim{a}" for a in axes}
