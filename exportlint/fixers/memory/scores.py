"""Mask a hand-written attention over the memory: the softmax (or SDPA) that reads its tokens.

When the concatenated memory goes to code of the user's file rather than to an
`nn.MultiheadAttention` (`k, v = self.to_kv(mem)`, `F.softmax(q @ k.T, dim=-1) @ v`), the padded
slots must be masked where the attention weights are made. The original runs once on a memory
holding every slot, then once per slot with that slot's tensors set to NaN, while every
`softmax` and `scaled_dot_product_attention` call is recorded with the user-file frames that
led to it. A softmax reads the memory when a slot's NaN fills whole columns of its last
dimension (every query, those keys): those columns are the slot's tokens. An SDPA reads it when
the NaN fills whole rows of its key. The rewrite passes `memory_key_mask` (True on empty
slots' tokens) down that call chain and masks the scores (`-inf` before the softmax, or
`attn_mask` for SDPA): masked keys get exactly zero weight, so padded slots change nothing.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
from dataclasses import dataclass
from typing import Any

import libcst as cst

from exportlint.fixers.facts.runtime import same_file
from exportlint.fixers.memory.codegen import add_keyword, param_text, per_slot_source, replace_params
from exportlint.fixers.memory.layout import MemoryLayout
from exportlint.fixers.memory.tokens import Runs, marked_memories, runs_of
from exportlint.fixers.rewrites.codemods import Replacement
from exportlint.fixers.wrapper.plan import WrapperPlan

KEY_MASK = "memory_key_mask"


@dataclass(frozen=True)
class Hop:
    """One user-file frame on the way to the attention: its method and the line it is at."""

    symbol: str
    line: int
    attrs: tuple[str, ...] = ()  # attributes of the caller's module holding this frame's module


@dataclass
class _Call:
    kind: str  # "softmax" or "sdpa"
    chain: tuple[Hop, ...]
    hits: list[bool] | None  # per key token: NaN in whole columns (None: a partial pattern)
    clean: bool  # no NaN at all
    last_dim: bool  # softmax over the last dimension (always true for SDPA)


@dataclass
class ScoreSites:
    """The attention calls that read the memory, and the memory's token runs there."""

    chains: list[tuple[Hop, ...]]
    kinds: dict[tuple[Hop, ...], str]
    runs: Runs


def measure(module: Any, path: str, root: str, args: tuple[Any, ...], kwargs: dict[str, Any],
            position: int | str, memory: Any, layout: MemoryLayout, shim: bool = False
            ) -> ScoreSites | str:
    """Where the original's attention reads the memory, or why that cannot be told."""
    memories = marked_memories(memory, layout)
    if isinstance(memories, str):
        return memories
    runs: list[list[_Call]] = []
    for _, filled in memories:
        calls = _record(module, path, root, args, kwargs, position, filled, shim)
        if isinstance(calls, str):
            return calls
        runs.append(calls)
    base, poisoned = runs[0], runs[1:]
    if any([c.chain for c in r] != [c.chain for c in base] for r in poisoned):
        return "the attention calls differ from one memory slot to another"
    if not all(c.clean for c in base):
        return "an attention reads NaN before any memory slot was marked"
    return _sites(base, poisoned)


def key_tokens(module: Any, path: str, root: str, args: tuple[Any, ...], kwargs: dict[str, Any],
               position: int | str, memory: Any, chains: list[tuple[Hop, ...]], shim: bool = False
               ) -> int | str:
    """How many key tokens the attentions over the memory (at `chains`) read on `memory`."""
    calls = _record(module, path, root, args, kwargs, position, memory, shim)
    if isinstance(calls, str):
        return calls
    sizes = {len(c.hits) for c in calls if c.chain in chains and c.hits is not None}
    if len(sizes) != 1:
        return "the attention over the memory reads no single number of keys on an empty memory"
    return sizes.pop()


def _sites(base: list[_Call], poisoned: list[list[_Call]]) -> ScoreSites | str:
    chains: list[tuple[Hop, ...]] = []
    kinds: dict[tuple[Hop, ...], str] = {}
    found: Runs | None = None
    others: set[tuple[Hop, ...]] = set()
    for i, call in enumerate(base):
        per_slot = [r[i] for r in poisoned]
        if all(c.clean for c in per_slot):
            others.add(call.chain)
            continue
        where = f"line {call.chain[-1].line}"
        if not call.last_dim:
            return (f"the softmax at {where} reads the memory but normalizes over another "
                    "dimension than the last, where the mask is applied")
        if any(c.hits is None for c in per_slot):
            return (f"the attention at {where} mixes memory tokens with other values (a slot "
                    "changes more than whole key columns), so padded slots cannot be masked there")
        owners = [-1] * len(per_slot[0].hits or [])
        for slot, c in enumerate(per_slot):
            for t, hit in enumerate(c.hits or []):
                if hit and owners[t] != -1:
                    return (f"the attention at {where} mixes the memory slots (one key column "
                            "changes with several slots)")
                if hit:
                    owners[t] = slot
        runs = runs_of(owners)
        if found is not None and runs != found:
            return "attentions read the memory's tokens in different orders"
        found = runs
        if call.chain not in chains:
            chains.append(call.chain)
            kinds[call.chain] = call.kind
    if not chains or found is None:
        return "no softmax or scaled_dot_product_attention reads the concatenated memory"
    shared = _shared_hops(chains, others)
    if shared:
        return (f"the call at line {shared.line} ({shared.symbol}) leads both to an attention "
                "over the memory and to one over other tokens; the mask cannot tell them apart")
    return ScoreSites(chains, kinds, found)


def _shared_hops(chains: list[tuple[Hop, ...]], others: set[tuple[Hop, ...]]) -> Hop | None:
    """A call site that leads to an attention over the memory and to one that is not."""
    masked = {hop for chain in chains for hop in chain[:-1]}
    for chain in others:
        for hop in chain[:-1]:
            if hop in masked:
                return hop
    return None


def _record(module: Any, path: str, root: str, args: tuple[Any, ...], kwargs: dict[str, Any],
            position: int | str, memory: Any, shim: bool) -> list[_Call] | str:
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    from exportlint.fixers.facts.cpu_shim import cpu_shim

    softmaxes = {F.softmax, torch.softmax, torch.Tensor.softmax, torch.special.softmax}
    calls: list[_Call] = []

    class _Watch(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, a: Any = (), k: Any = None) -> Any:
            k = k or {}
            if func in softmaxes and a and isinstance(a[0], torch.Tensor):
                dim = k.get("dim", a[1] if len(a) > 1 else None)
                calls.append(_softmax_call(a[0], dim, _chain(path, root)))
            elif func is F.scaled_dot_product_attention and len(a) > 1:
                calls.append(_sdpa_call(a[1], _chain(path, root)))
            return func(*a, **k)

    if isinstance(position, int):
        args = (*args[:position], memory, *args[position + 1:])
    else:
        kwargs = {**kwargs, position: memory}
    try:
        with torch.no_grad(), cpu_shim() if shim else contextlib.nullcontext(), _Watch():
            module(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported as the reason
        return f"the original fails on a memory with every slot filled ({type(error).__name__})"
    return calls


def _softmax_call(x: Any, dim: Any, chain: tuple[Hop, ...]) -> _Call:
    import torch

    nan = torch.isnan(x.detach())
    last = isinstance(dim, int) and x.dim() > 0 and dim % x.dim() == x.dim() - 1
    if not last or x.dim() < 2:
        return _Call("softmax", chain, None, not bool(nan.any()), last)
    flat = nan.reshape(-1, nan.shape[-1])
    return _Call("softmax", chain, _whole(flat), not bool(nan.any()), True)


def _sdpa_call(key: Any, chain: tuple[Hop, ...]) -> _Call:
    import torch

    nan = torch.isnan(key.detach())
    # key (..., tokens, channels): a slot's NaN fills whole rows of the token dimension.
    flat = nan.movedim(-2, -1).reshape(-1, nan.shape[-2]) if nan.dim() >= 2 else None
    return _Call("sdpa", chain, _whole(flat) if flat is not None else None,
                 not bool(nan.any()), True)


def _whole(flat: Any) -> list[bool] | None:
    """Per column of a (rows, tokens) NaN mask: hit when every row is NaN; None if partial."""
    any_ = flat.any(dim=0)
    if bool((any_ != flat.all(dim=0)).any()):
        return None
    return [bool(v) for v in any_]


def _chain(path: str, root: str) -> tuple[Hop, ...]:
    """User-file frames from the root forward to the innermost one, with their lines."""
    frames = []
    frame = inspect.currentframe()
    while frame is not None:
        if same_file(frame.f_code.co_filename, path):
            frames.append(frame)
            if frame.f_code.co_qualname == root:
                break
        frame = frame.f_back
    frames.reverse()
    hops = []
    for i, f in enumerate(frames):
        attrs: tuple[str, ...] = ()
        if i > 0:
            caller, callee = frames[i - 1].f_locals.get("self"), f.f_locals.get("self")
            modules = getattr(caller, "_modules", None) or {}
            attrs = tuple(n for n, m in modules.items() if callee is not None and m is callee)
        hops.append(Hop(f.f_code.co_qualname, f.f_lineno, attrs))
    del frame, frames
    return tuple(hops)


def thread(plan: WrapperPlan, sites: ScoreSites, root: str) -> str:
    """Register the edits that pass `memory_key_mask` to each attention; a reason on failure.
    The root forward computes the mask right after the slot list (see slots.py)."""
    calls: dict[int, tuple[str, cst.Call]] = {}
    methods: set[str] = set()
    scores: dict[int, tuple[str, cst.Call, str]] = {}
    for chain in sites.chains:
        if chain[0].symbol != root:
            return f"the attention at line {chain[-1].line} is not reached from `{root}`"
        for caller, callee in itertools.pairwise(chain):
            if callee.symbol not in plan.index.methods:
                return (f"`{callee.symbol}` (on the way to the attention at line "
                        f"{chain[-1].line}) is not a method of a class of this file")
            call = _call_at(plan, caller, callee)
            if isinstance(call, str):
                return call
            calls[id(call)] = (caller.symbol, call)
            methods.add(callee.symbol)
        site = _score_call(plan, chain[-1], sites.kinds[chain])
        if isinstance(site, str):
            return site
        scores[id(site)] = (chain[-1].symbol, site, sites.kinds[chain])
    for symbol, call in calls.values():
        plan.edit(symbol, call, add_keyword(KEY_MASK, KEY_MASK))
    for symbol in methods:
        method = plan.index.methods[symbol].node
        texts = [param_text(p) for p in method.params.params]
        texts.append(f"{KEY_MASK}: Tensor | None = None")
        plan.edit(symbol, method, replace_params("".join(f"    {t},\n" for t in texts).rstrip("\n")))
    for symbol, call, kind in scores.values():
        plan.edit(symbol, call, _mask_scores(kind))
    return ""


def _calls_in(plan: WrapperPlan, symbol: str, line: int) -> list[cst.Call]:
    found: list[cst.Call] = []
    positions = plan.index.positions

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            where = positions.get(call)
            if where is not None and where.start.line <= line <= where.end.line:
                found.append(call)

    plan.index.methods[symbol].node.visit(_Calls())
    return found


def _call_at(plan: WrapperPlan, caller: Hop, callee: Hop) -> cst.Call | str:
    name = callee.symbol.rsplit(".", 1)[-1]
    picked = []
    for call in _calls_in(plan, caller.symbol, caller.line):
        func = call.func
        if not isinstance(func, cst.Attribute):
            continue
        if func.attr.value == name or (name == "forward" and func.attr.value in callee.attrs):
            picked.append(call)
    if len(picked) != 1:
        return (f"cannot tell which call at line {caller.line} ({caller.symbol}) leads to "
                f"`{callee.symbol}`")
    return picked[0]


def _score_call(plan: WrapperPlan, hop: Hop, kind: str) -> cst.Call | str:
    names = ("softmax",) if kind == "softmax" else ("scaled_dot_product_attention",)
    picked = [c for c in _calls_in(plan, hop.symbol, hop.line)
              if (isinstance(c.func, cst.Attribute) and c.func.attr.value in names)
              or (isinstance(c.func, cst.Name) and c.func.value in names)]
    if len(picked) != 1:
        return f"cannot tell which call at line {hop.line} ({hop.symbol}) is the attention"
    call = picked[0]
    if kind == "sdpa" and any(a.keyword and a.keyword.value in ("attn_mask", "is_causal")
                              for a in call.args):
        return (f"the attention at line {hop.line} already has a mask; combine it with "
                f"`{KEY_MASK}` by hand")
    if kind == "sdpa" and len([a for a in call.args if a.keyword is None]) > 3:
        return f"the attention at line {hop.line} passes its mask by position; combine by hand"
    return call


def _mask_scores(kind: str) -> Any:
    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        if kind == "sdpa":
            return add_keyword("attn_mask", f"_kept_keys({KEY_MASK})")(node)
        func = node.func
        method = isinstance(func, cst.Attribute) and not _is_module(func.value)
        if method:  # `scores.softmax(-1)`: mask the receiver
            assert isinstance(func, cst.Attribute)
            masked = cst.parse_expression(
                f"_masked_scores({cst.Module([]).code_for_node(func.value)}, {KEY_MASK})")
            return node.with_changes(func=func.with_changes(value=masked))
        first = node.args[0]
        masked = cst.parse_expression(
            f"_masked_scores({cst.Module([]).code_for_node(first.value)}, {KEY_MASK})")
        return node.with_changes(args=[first.with_changes(value=masked), *node.args[1:]])

    return edit


def _is_module(node: cst.BaseExpression) -> bool:
    """`F`, `torch`, `torch.nn.functional`, `nn.functional`: a namespace, not a tensor."""
    code = cst.Module([]).code_for_node(node)
    return code in ("F", "torch", "functional", "nn.functional", "torch.nn.functional",
                    "torch.special")


def key_mask_helpers(filler: bool) -> str:
    """The helpers that mask a hand-written attention (with a filler run, see codegen.FILLER)."""
    return _KEY_MASK_HELPERS.format(per_slot=per_slot_source(filler))


_KEY_MASK_HELPERS = '''
def _key_mask(valid: Tensor) -> Tensor:
    """Per token of the concatenated memory: True on the tokens of empty slots."""
    {per_slot}
    return ~torch.cat([per_slot[slot].expand(count) for slot, count in MEMORY_TOKEN_RUNS])


def _masked_scores(scores: Tensor, key_mask: Tensor | None) -> Tensor:
    """Attention scores with the keys of empty memory slots at -inf (zero weight)."""
    if key_mask is None:
        return scores
    return scores.masked_fill(key_mask, float("-inf"))


def _kept_keys(key_mask: Tensor | None) -> Tensor | None:
    """`attn_mask` of scaled_dot_product_attention: (1, tokens), True on keys to attend to."""
    return None if key_mask is None else ~key_mask.unsqueeze(0)
'''
