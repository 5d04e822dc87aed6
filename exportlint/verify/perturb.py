"""Perturbed example inputs: other values, flipped values and other sizes on dynamic axes.

A baked branch or a baked `.item()` value only shows on inputs other than the export
inputs, so parity is checked on these sets as well as on the examples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from exportlint.verify.flatten import flatten_inputs, map_inputs
from exportlint.verify.results import InputSet

DynamicAxes = Mapping[str, Mapping[int, str] | Sequence[int]]


def perturb_inputs(
    forward: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    dynamic: DynamicAxes | None = None,
    extra: Iterable[InputSet] = (),
) -> tuple[InputSet, ...]:
    """Input sets that differ from the examples, with the same structure and dtypes.

    Args:
        forward: the module's forward (names the inputs, as in `flatten_inputs`).
        args: example positional inputs.
        kwargs: example keyword inputs.
        seed: random seed; the same seed gives the same sets.
        dynamic: `{input_name: {axis: symbol}}`; axes sharing a symbol get the same new size.
        extra: user-given input sets, appended as they are.

    Returns:
        "values-1", "values-2" (random values: floats with the example's mean/std, ints
        within [min(0, lo), max(1, hi)], random bools), "flipped" (negated floats, inverted
        bools, ints mirrored in their range); a bool mask never gets a last-axis row that is
        all True (a padding mask masking every key), "scaled" (floats times 8), "reordered" and
        "swapped" (integer tensors reversed along their first / last axis, everything else as in
        the examples; only when that changes some input), "sizes" when `dynamic` is given, then
        `extra`.
    """
    import torch

    kwargs = dict(kwargs or {})
    sets = []
    for i in range(2):
        generator = torch.Generator().manual_seed(seed + i)
        new = map_inputs(forward, args, kwargs, functools.partial(_random_leaf, generator))
        sets.append(InputSet(f"values-{i + 1}", *new, description="other random values"))
    flipped = map_inputs(forward, args, kwargs, lambda _n, v: _flip(v))
    sets.append(InputSet("flipped", *flipped, description="negated / inverted / mirrored"))
    scaled = map_inputs(forward, args, kwargs, lambda _n, v: _scale(v))
    sets.append(InputSet("scaled", *scaled, description="float inputs times 8"))
    # NOTE: random integers rarely make a valid input out of sizes, offsets or index lists (level
    # shapes whose products must sum to a sequence length); the same values in another order often
    # do, and the legacy tracer bakes the order too.
    for name, axis, description in (("reordered", 0, "integer inputs in reverse order along axis 0"),
                                    ("swapped", -1, "integer inputs reversed along their last axis")):
        if _reorders(forward, args, kwargs, axis):
            new = map_inputs(forward, args, kwargs, lambda _n, v, a=axis: _reverse(v, a))
            sets.append(InputSet(name, *new, description=description))
    if dynamic:
        sets.append(_resized(forward, args, kwargs, dynamic, seed))
    return tuple(sets) + tuple(extra)


def _random_leaf(generator: Any, _name: str, value: Any) -> Any:
    return _random_like(value, generator)


def _is_tensor(value: object) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _random_like(value: Any, generator: Any, shape: Sequence[int] | None = None) -> Any:
    import torch

    if not _is_tensor(value):
        return value
    size = tuple(shape) if shape is not None else tuple(value.shape)
    if value.dtype == torch.bool:
        return _keep_one_open(torch.rand(size, generator=generator) < 0.5)
    if value.is_complex():
        return torch.randn(size, generator=generator, dtype=value.dtype)
    if value.is_floating_point():
        base = value.detach().float()
        std = float(base.std()) if base.numel() > 1 else 0.0
        mean = float(base.mean()) if base.numel() else 0.0
        noise = torch.randn(size, generator=generator) * (std or abs(mean) or 1.0) + mean
        return noise.to(value.dtype)
    low = min(int(value.min()), 0) if value.numel() else 0
    high = max(int(value.max()), 1) if value.numel() else 1
    return torch.randint(low, high + 1, size, generator=generator).to(value.dtype)


def _flip(value: Any) -> Any:
    import torch

    if not _is_tensor(value):
        return value
    if value.dtype == torch.bool:
        return _keep_one_open(~value)
    if value.is_floating_point() or value.is_complex():
        return -value.detach().clone()
    if value.numel() == 0:
        return value.clone()
    return (value.min() + value.max() - value).to(value.dtype)


def _is_integer(value: Any) -> bool:
    import torch

    return _is_tensor(value) and value.dtype != torch.bool and not value.is_floating_point() and not value.is_complex()


def _reverse(value: Any, axis: int) -> Any:
    if not _is_integer(value) or value.ndim == 0 or (axis == -1 and value.ndim < 2):
        return value
    return value.flip(axis)


def _reorders(forward: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any], axis: int) -> bool:
    """Whether reversing integer tensors along `axis` changes any of them."""
    import torch

    return any(_is_integer(leaf.value) and not torch.equal(_reverse(leaf.value, axis), leaf.value)
               for leaf in flatten_inputs(forward, args, dict(kwargs)))


def _keep_one_open(mask: Any) -> Any:
    """`mask` with its first entry cleared in every last-axis row that is all True.

    A padding mask (`key_padding_mask`, `prompt_mask`) that masks every key is not an input a
    model accepts: eager attention gives NaN or, on its fast path, zeros, and onnxruntime need not
    agree with either. Inverting an all-False example mask would make exactly that.
    """
    if mask.ndim == 0 or mask.shape[-1] < 2:
        return mask
    mask = mask.clone()
    full = mask.all(dim=-1)
    mask[..., 0] = mask[..., 0] & ~full
    return mask


def _scale(value: Any) -> Any:
    if _is_tensor(value) and (value.is_floating_point() or value.is_complex()):
        return value.detach() * 8
    return value


def _resized(
    forward: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
    dynamic: DynamicAxes, seed: int,
) -> InputSet:
    import torch

    symbols = _symbol_sizes(flatten_inputs(forward, args, kwargs), dynamic)
    generator = torch.Generator().manual_seed(seed + 7)

    def resize(name: str, value: Any) -> Any:
        axes = dynamic.get(name)
        if axes is None or not _is_tensor(value):
            return value
        shape = list(value.shape)
        for axis, symbol in _axis_symbols(name, axes).items():
            shape[axis] = symbols[symbol]
        return _random_like(value, generator, shape)

    new_args, new_kwargs = map_inputs(forward, args, kwargs, resize)
    sizes = ", ".join(f"{s}={n}" for s, n in symbols.items())
    return InputSet("sizes", new_args, new_kwargs, description=f"other sizes: {sizes}")


def _axis_symbols(name: str, axes: Mapping[int, str] | Sequence[int]) -> dict[int, str]:
    if isinstance(axes, Mapping):
        return {int(a): str(s) for a, s in axes.items()}
    return {int(a): f"{name}_dim{a}" for a in axes}


def _symbol_sizes(leaves: list[Any], dynamic: DynamicAxes) -> dict[str, int]:
    """A new size per symbol: the example size + 1 (2 when the example size is 1)."""
    sizes: dict[str, int] = {}
    for leaf in leaves:
        if leaf.name not in dynamic or not _is_tensor(leaf.value):
            continue
        for axis, symbol in _axis_symbols(leaf.name, dynamic[leaf.name]).items():
            old = int(leaf.value.shape[axis])
            sizes.setdefault(symbol, old + 1 if old > 1 else 2)
    return sizes
