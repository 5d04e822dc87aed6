"""Which tokens of the concatenated memory belong to which slot, measured on the original.

The original runs once per slot on a memory holding every slot, with that slot's tensors set
to NaN; the tokens of the consumer's memory argument that turn NaN belong to that slot.
Tokens no slot reaches (a learned null token, say) are always valid. The result is stored as
runs `(slot, count)` in token order (`-1`: no slot), which the wrapper expands into the mask.
"""

from __future__ import annotations

import contextlib
from typing import Any

from exportlint.fixers.memory.layout import MemoryLayout, at_path, entry_tensors, make_entry, memory_with

Runs = tuple[tuple[int, int], ...]


def token_runs(module: Any, consumer: Any, where: int | str, cat_dim: int, args: tuple[Any, ...],
               kwargs: dict[str, Any], position: int | str, memory: Any, layout: MemoryLayout,
               shim: bool = False) -> Runs | str:
    """Token runs of the consumer's memory argument, or why they cannot be measured.

    Args:
        module: the user's root module.
        consumer: the submodule that receives the concatenated memory.
        where: the positional index or keyword of that argument in the consumer call.
        cat_dim: the token dimension of that argument.
        args: example positional arguments of the root module.
        kwargs: example keyword arguments.
        position: where the memory dict goes in the root call (index or keyword).
        memory: the example memory dict.
        layout: the slot layout.
        shim: run under `cpu_shim` (CUDA-only originals).
    """
    memories = marked_memories(memory, layout)
    if isinstance(memories, str):
        return memories
    owners: list[int] | None = None
    for slot, filled in memories:
        tokens = captured_tokens(module, consumer, where, cat_dim, args, kwargs, position, filled, shim)
        if isinstance(tokens, str):
            return tokens
        if owners is None:
            if any(tokens):
                return "the concatenated memory holds NaN before any slot was marked"
            owners = [-1] * len(tokens)
            continue
        for t, hit in enumerate(tokens):
            if hit and owners[t] != -1:
                return "memory slots are mixed before the attention reads them"
            if hit:
                owners[t] = slot
    return runs_of(owners or [])


def marked_memories(memory: Any, layout: MemoryLayout) -> list[tuple[int, Any]] | str:
    """The memory with every slot filled (slot -1), then once per slot with that slot's tensors
    set to NaN; a reason when a slot cannot be located."""
    full = set(range(len(layout.slots)))
    memories = []
    for slot in [-1, *range(len(layout.slots))]:
        filled = memory_with(memory, layout, full, seed=7)
        if slot >= 0:
            if not layout.slots[slot].path:
                return "a memory slot's entry could not be located in the memory dict"
            poison(filled, layout.slots[slot].path)
        memories.append((slot, filled))
    return memories


def poison(memory: Any, path: tuple[Any, ...]) -> None:
    """Set every tensor of the entry at `path` to NaN."""
    import torch

    holder = at_path(memory, path[:-1])
    entry = holder[path[-1]]
    holder[path[-1]] = make_entry({k: torch.full_like(v, float("nan"))
                                   for k, v in entry_tensors(entry).items()},
                                  bare=isinstance(entry, torch.Tensor))


def captured_tokens(module: Any, consumer: Any, where: int | str, cat_dim: int, args: tuple[Any, ...],
                    kwargs: dict[str, Any], position: int | str, memory: Any, shim: bool
                    ) -> list[bool] | str:
    """Per token of the consumer's memory argument on `memory`: whether it is NaN."""
    import torch

    from exportlint.fixers.facts.cpu_shim import cpu_shim

    seen: list[Any] = []

    def hook(_: Any, hook_args: tuple[Any, ...], hook_kwargs: dict[str, Any]) -> None:
        value = hook_args[where] if isinstance(where, int) else hook_kwargs.get(where)
        seen.append(value)

    if isinstance(position, int):
        args = (*args[:position], memory, *args[position + 1:])
    else:
        kwargs = {**kwargs, position: memory}
    handle = consumer.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        with torch.no_grad(), cpu_shim() if shim else contextlib.nullcontext():
            module(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported as the reason
        return f"the original fails on a memory with every slot filled ({type(error).__name__})"
    finally:
        handle.remove()
    if len(seen) != 1 or not isinstance(seen[0], torch.Tensor):
        return "the memory consumer is not called exactly once with a tensor"
    nan = torch.isnan(seen[0])
    other = [d for d in range(nan.dim()) if d != cat_dim % nan.dim()]
    return [bool(v) for v in (nan.any(dim=other) if other else nan)]


def runs_of(owners: list[int]) -> Runs:
    """Token owners (slot per token, -1: none) as runs `(slot, count)`."""
    runs: list[tuple[int, int]] = []
    for owner in owners:
        if runs and runs[-1][0] == owner:
            runs[-1] = (owner, runs[-1][1] + 1)
        else:
            runs.append((owner, 1))
    return tuple(runs)
