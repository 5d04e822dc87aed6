"""Thread the memory padding mask to the attention that reads the concatenated memory.

After the gather region, forward concatenates per-slot tensors (`prompt = torch.cat(...)`) and
hands them to a module. When that module is an `nn.MultiheadAttention`, or a class of the
user's file whose forward passes that argument as the key of an `nn.MultiheadAttention`, the
call gets `key_padding_mask` (an `nn.TransformerDecoder(Layer)` reading it as its memory:
`memory_key_padding_mask`): masked keys get exactly zero attention weight, so padded slots
change nothing. Any other consumer is masked where its attention weights are made (`scores`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from exportlint.fixers.memory.codegen import (
    FILLER,
    MASK_NAME,
    add_keyword,
    mask_source,
    param_text,
    prepend,
    replace_params,
)
from exportlint.fixers.memory.layout import MemoryLayout, memory_with
from exportlint.fixers.memory.scores import key_mask_helpers, key_tokens, measure, thread
from exportlint.fixers.memory.tokens import Runs, captured_tokens, token_runs
from exportlint.fixers.wrapper.fixer import FixContext
from exportlint.fixers.wrapper.plan import WrapperPlan

_RULE = "variable-length-cat"
KEY_MASK_HELPER = "memory_key_mask"  # the plan.helpers entry of scores.key_mask_helpers


def _decoder(consumer: Any) -> bool:
    """torch's decoders, which take the memory as their second argument and a
    `memory_key_padding_mask`."""
    import torch

    return isinstance(consumer, (torch.nn.TransformerDecoderLayer, torch.nn.TransformerDecoder))


@dataclass
class _Use:
    statement: cst.BaseStatement
    call: cst.Call
    attr: str
    cat_var: str
    cat_dim: int
    arg_index: int | None
    keyword: str | None


def thread_mask(plan: WrapperPlan, ctx: FixContext, post: list[cst.BaseStatement], symbol: str,
                layout: MemoryLayout, position: int | str, memory: Any, filler: bool = False
                ) -> Runs | None:
    """Register the mask edits and return the token runs; None (manual work) when impossible.

    An `nn.MultiheadAttention` (or a class of the file passing the memory to one) gets a key
    padding mask; otherwise the softmax or SDPA that reads the memory is masked (`scores`).
    With `filler` (`if not feats: feats.append(self.no_mem)` after the gathering), the tokens
    the original attends to on an empty memory beyond those of its always-present slots are the
    filler's: they end the runs as slot `FILLER`, attended to only when every slot is empty.
    """
    threaded = _thread_mask(plan, ctx, post, symbol, layout, position, memory)
    if threaded is None:
        return None
    runs, count = threaded
    if filler:
        runs = _with_filler(plan, symbol, layout, runs, count(
            memory_with(memory, layout, {i for i, s in enumerate(layout.slots) if s.source is None}, seed=7)))
    if runs is not None and KEY_MASK_HELPER in plan.helpers and any(slot == FILLER for slot, _ in runs):
        plan.helpers[KEY_MASK_HELPER] = key_mask_helpers(True)  # the softmax also attends to the filler
    return runs


def _with_filler(plan: WrapperPlan, symbol: str, layout: MemoryLayout, runs: Runs, total: int | str
                 ) -> Runs | None:
    """`runs` ended by the filler's: the `total` tokens read on an empty memory, less those of
    tokens of no slot and of always-present slots."""
    line = plan.index.methods[symbol].line
    if isinstance(total, str):
        plan.needs_manual(_RULE, line, symbol,
                          f"{total}; cannot tell the tokens of the filler used on an empty memory.")
        return None
    kept = sum(n for slot, n in runs if slot == -1 or (slot >= 0 and layout.slots[slot].source is None))
    if total < kept:
        plan.needs_manual(_RULE, line, symbol,
                          "the attention reads fewer tokens on an empty memory than its always-present ones")
        return None
    return (*runs, (FILLER, total - kept)) if total > kept else runs


def _thread_mask(plan: WrapperPlan, ctx: FixContext, post: list[cst.BaseStatement], symbol: str,
                 layout: MemoryLayout, position: int | str, memory: Any
                 ) -> tuple[Runs, Callable[[Any], int | str]] | None:
    """The token runs and how to count the memory tokens the attention reads on another memory."""
    use = _find_use(post)
    line = plan.index.methods[symbol].line
    why = "no module call reads the concatenated memory"
    args, kwargs, shim = ctx.args, dict(ctx.kwargs), plan.cpu_reference
    if use is not None:
        consumer = getattr(ctx.module, use.attr, None)
        why = _padding_consumer(plan, consumer, use)
        if not why:
            where = use.keyword or use.arg_index
            assert where is not None
            runs = token_runs(ctx.module, consumer, where, use.cat_dim, args, kwargs,
                              position, memory, layout, shim)
            if isinstance(runs, str):
                plan.needs_manual(_RULE, line, symbol, f"{runs}; cannot tell which tokens to mask.")
                return None
            _edit_consumer(plan, consumer, use, symbol)
            cat_dim = use.cat_dim

            def captured(other: Any) -> int | str:
                seen = captured_tokens(ctx.module, consumer, where, cat_dim, args, kwargs,
                                       position, other, shim)
                return seen if isinstance(seen, str) else len(seen)

            return runs, captured
    path = str(plan.index.path)
    sites = measure(ctx.module, path, symbol, args, kwargs, position, memory, layout, shim)
    reason = sites if isinstance(sites, str) else thread(plan, sites, symbol)
    if reason:
        plan.needs_manual(_RULE, line, symbol, f"{why.rstrip('.')}, and {reason}; cannot mask "
                          "the padded slots.")
        return None
    assert not isinstance(sites, str)
    plan.helpers[KEY_MASK_HELPER] = key_mask_helpers(False)
    chains = sites.chains
    return sites.runs, lambda other: key_tokens(ctx.module, path, symbol, args, kwargs, position,
                                                other, chains, shim)


def _padding_consumer(plan: WrapperPlan, consumer: Any, use: _Use) -> str:
    """Why `consumer` cannot take a key padding mask ("" when it can)."""
    import torch

    if isinstance(consumer, torch.nn.MultiheadAttention):
        return ""
    if _decoder(consumer) and (use.keyword == "memory" or use.arg_index == 1):
        if any(a.keyword and a.keyword.value == "memory_key_padding_mask" for a in use.call.args):
            return f"`self.{use.attr}` already gets a memory_key_padding_mask; combine it by hand"
        return ""
    if type(consumer).__qualname__ in plan.index.classes:
        return _thread_into(plan, consumer, use, dry=True)
    return (f"`self.{use.attr}` ({type(consumer).__name__}) reads the concatenated memory and "
            "takes no key padding mask")


def _edit_consumer(plan: WrapperPlan, consumer: Any, use: _Use, symbol: str) -> None:
    import torch

    if isinstance(consumer, torch.nn.MultiheadAttention):
        plan.edit(symbol, use.call, add_keyword("key_padding_mask", MASK_NAME))
    elif _decoder(consumer):
        plan.edit(symbol, use.call, add_keyword("memory_key_padding_mask", MASK_NAME))
    else:
        _thread_into(plan, consumer, use)
        plan.edit(symbol, use.call, add_keyword(MASK_NAME, MASK_NAME))
    plan.edit(symbol, use.statement, prepend(mask_source(use.cat_var, use.cat_dim)))


def _find_use(post: list[cst.BaseStatement]) -> _Use | None:
    cats: dict[str, int] = {}
    for statement in post:
        for target, dim in _cat_assignments(statement):
            cats[target] = dim
        for call in _calls(statement):
            func = call.func
            if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                    and func.value.value == "self"):
                continue
            for i, arg in enumerate(call.args):
                if isinstance(arg.value, cst.Name) and arg.value.value in cats:
                    keyword = arg.keyword.value if arg.keyword else None
                    return _Use(statement, call, func.attr.value, arg.value.value,
                                cats[arg.value.value], None if keyword else i, keyword)
    return None


def _cat_assignments(statement: cst.BaseStatement) -> list[tuple[str, int]]:
    found = []
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call) and \
                    len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                func = cst.Module([]).code_for_node(small.value.func)
                if func in ("torch.cat", "torch.concat", "torch.stack"):
                    found.append((small.targets[0].target.value, _dim(small.value)))
    return found


def _dim(call: cst.Call) -> int:
    for i, arg in enumerate(call.args):
        is_dim = (arg.keyword and arg.keyword.value == "dim") or (i == 1 and arg.keyword is None)
        if is_dim and isinstance(arg.value, cst.Integer):
            return int(arg.value.value)
    return 0


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = []

    class _Calls(cst.CSTVisitor):
        def visit_Call(self, call: cst.Call) -> None:
            found.append(call)

    node.visit(_Calls())
    return found


def _thread_into(plan: WrapperPlan, consumer: Any, use: _Use, dry: bool = False) -> str:
    """Edit the consumer class's forward to accept and apply the mask; a reason when it cannot
    (`dry`: only say whether it can)."""
    import torch

    cls = type(consumer).__qualname__
    method = plan.index.methods.get(f"{cls}.forward")
    if method is None:
        return f"`{cls}` defines no forward of its own to pass the mask into"
    names = [p.name.value for p in method.node.params.params if p.name.value != "self"]
    param = use.keyword or (names[use.arg_index] if use.arg_index is not None and
                            use.arg_index < len(names) else None)
    for call in _calls(method.node):
        func = call.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.value.value == "self" and isinstance(
                    getattr(consumer, func.attr.value, None), torch.nn.MultiheadAttention)):
            continue
        if any(a.keyword and a.keyword.value == "key_padding_mask" for a in call.args):
            return f"`{cls}.forward` already passes a key_padding_mask; combine it by hand"
        key = next((a for i, a in enumerate(call.args) if (a.keyword and a.keyword.value == "key")
                    or (i == 1 and a.keyword is None)), None)
        if key is not None and param and param in _names(key.value):
            if dry:
                return ""
            plan.edit(method.symbol, call, add_keyword("key_padding_mask", MASK_NAME))
            texts = [param_text(p) for p in method.node.params.params]
            texts.append(f"{MASK_NAME}: Tensor | None = None")
            plan.edit(method.symbol, method.node,
                      replace_params("".join(f"    {t},\n" for t in texts).rstrip("\n")))
            return ""
    return f"`{cls}.forward` passes `{param}` to no nn.MultiheadAttention as its key"


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Names(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            found.add(name.value)

    node.visit(_Names())
    return found
