"""Flatten nested list/tuple/dict inputs and outputs the way the ONNX exporters do.

Inputs are named like the dynamo exporter names graph inputs: the forward parameter name
followed by each container key (`feats_0`, `memory_frame_3`); keyword arguments by their key.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Leaf:
    """One flattened input or output value with its exporter-style name."""

    name: str
    value: Any

    @property
    def is_tensor(self) -> bool:
        return _is_tensor(self.value)

    @property
    def is_scalar(self) -> bool:
        return isinstance(self.value, (bool, int, float)) and not _is_tensor(self.value)


def _is_tensor(value: object) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "dtype")


def walk(value: Any, name: str) -> list[Leaf]:
    """Leaves of a nested list/tuple/dict value in exporter order (dicts in insertion order)."""
    if isinstance(value, (list, tuple)):
        return [leaf for i, item in enumerate(value) for leaf in walk(item, f"{name}_{i}")]
    if isinstance(value, Mapping):
        return [leaf for key, item in value.items() for leaf in walk(item, f"{name}_{key}")]
    return [Leaf(name, value)]


def parameter_names(forward: Callable[..., Any], count: int) -> list[str]:
    """Names of the first `count` positional arguments of `forward`.

    Past the named parameters, `*rest` arguments are `rest_0`, `rest_1` ... (as dynamo names
    them) and, without `*rest`, `arg3` ...
    """
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    rest = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), None)
    extra = [f"{rest}_{j}" if rest else f"arg{len(positional) + j}"
             for j in range(max(0, count - len(positional)))]
    return (positional + extra)[:count]


def flatten_inputs(
    forward: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None = None
) -> list[Leaf]:
    """Every leaf of `(args, kwargs)`, named after `forward`'s parameters."""
    names = parameter_names(forward, len(args))
    leaves = [leaf for name, arg in zip(names, args) for leaf in walk(arg, name)]
    return leaves + [leaf for key, value in (kwargs or {}).items() for leaf in walk(value, key)]


def tensor_leaves(leaves: list[Leaf]) -> list[Leaf]:
    """The leaves the dynamo exporter turns into graph inputs."""
    return [leaf for leaf in leaves if leaf.is_tensor]


def legacy_call_args(
    forward: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None = None
) -> tuple[tuple[Any, ...], list[str]]:
    """The positional arguments the legacy exporter really traces with, and their names.

    Like `torch.onnx.export(dynamo=False)`: a trailing dict in `args` (when no `kwargs` are
    given) is read as keyword arguments; then every later parameter, in signature order,
    takes its keyword value or its default (parameters with neither are skipped).
    """
    values = list(args)
    keywords = dict(kwargs or {})
    if not keywords and values and isinstance(values[-1], Mapping):
        keywords = dict(values.pop())
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = parameter_names(forward, len(values))
    for param in params[len(values):]:
        if param.name in keywords:
            values.append(keywords[param.name])
        elif param.default is not param.empty:
            values.append(param.default)
        else:
            continue
        names.append(param.name)
    return tuple(values), names


def legacy_leaves(
    forward: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None = None
) -> list[Leaf]:
    """The leaves the legacy exporter turns into graph inputs, in its order.

    Like `torch._C._jit_flatten` over `legacy_call_args`: tensors and bool/int/float values,
    and the non-string keys of dicts (named `<dict>_<key>_key`) before their values; None
    and strings are dropped.
    """
    values, names = legacy_call_args(forward, args, kwargs)
    return [leaf for name, value in zip(names, values) for leaf in _walk_legacy(value, name)
            if leaf.is_tensor or leaf.is_scalar]


def _walk_legacy(value: Any, name: str) -> list[Leaf]:
    if isinstance(value, (list, tuple)):
        return [leaf for i, item in enumerate(value) for leaf in _walk_legacy(item, f"{name}_{i}")]
    if isinstance(value, Mapping):
        leaves = []
        for key, item in value.items():
            if not isinstance(key, str):
                leaves.append(Leaf(f"{name}_{key}_key", key))
            leaves += _walk_legacy(item, f"{name}_{key}")
        return leaves
    return [Leaf(name, value)]


def named_leaves(
    forward: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any] | None = None
) -> list[Leaf]:
    """Every value either exporter may take as a graph input, by name (for feeding by name)."""
    leaves = flatten_inputs(forward, args, kwargs)
    known = {leaf.name for leaf in leaves}
    return leaves + [leaf for leaf in legacy_leaves(forward, args, kwargs) if leaf.name not in known]


def flatten_outputs(output: Any) -> list[Leaf]:
    """Tensor leaves of a (nested) forward result, named `out_0`, `out_1_a`, ..."""
    return [leaf for leaf in walk(output, "out") if leaf.is_tensor]


def map_leaves(value: Any, name: str, fn: Callable[[str, Any], Any]) -> Any:
    """Rebuild a nested list/tuple/dict value with `fn(name, leaf)` applied to each leaf."""
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(map_leaves(v, f"{name}_{i}", fn) for i, v in enumerate(value)))
    if isinstance(value, (list, tuple)):
        return type(value)(map_leaves(v, f"{name}_{i}", fn) for i, v in enumerate(value))
    if isinstance(value, Mapping):
        return {k: map_leaves(v, f"{name}_{k}", fn) for k, v in value.items()}
    return fn(name, value)


def map_inputs(
    forward: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any] | None,
    fn: Callable[[str, Any], Any],
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """`(args, kwargs)` rebuilt with `fn(name, leaf)` applied to every named leaf."""
    names = parameter_names(forward, len(args))
    new_args = tuple(map_leaves(a, n, fn) for n, a in zip(names, args))
    return new_args, {k: map_leaves(v, k, fn) for k, v in (kwargs or {}).items()}


def copied(value: Any) -> Any:
    """`value` with every tensor in its lists, tuples and dicts cloned: a forward that writes to
    its inputs in place (`x.mul_(2)`) cannot change what the next run is given."""
    return map_leaves(value, "", lambda _, leaf: leaf.clone() if _is_tensor(leaf) else leaf)


def to_numpy(value: Any) -> Any:
    """A tensor or Python scalar as a numpy array (detached, on CPU)."""
    import numpy as np

    if _is_tensor(value):
        return value.detach().cpu().resolve_conj().numpy()
    return np.asarray(value)
