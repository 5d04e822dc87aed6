"""Source pieces of the fixed-slot memory rewrite: the slot list, the mask, the host-side helper."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from exportlint.fixers.memory.layout import BARE, GatherRegion, MemoryLayout
from exportlint.fixers.rewrites.codemods import Edit, Replacement

MASK_NAME = "memory_padding_mask"
VALID_NAME = "memory_valid"


def input_name(entry_key: str) -> str:
    """The graph input holding one entry tensor of every slot: `memory_<key>` (`memory_slots`
    for bare tensor entries, whose key is BARE)."""
    return "memory_" + "".join(c if c.isalnum() else "_" for c in entry_key)


def slot_list_source(region: GatherRegion, layout: MemoryLayout) -> str:
    """`L = [...]`: one element per slot, built from the stacked memory inputs."""
    count = len(layout.slots[0].key) if layout.slots else 0
    if region.parallel:  # one list per gathered list, each element one slot's tensor
        return "\n".join(f"{name} = [{input_name(name)}[i] for i in range(len(MEMORY_SLOT_KEYS))]"
                         for name in region.lists)
    if layout.bare:
        entry = [f"        {input_name(BARE)}[i],"]
        if layout.entry_index is None:
            return "\n".join([f"{region.list_name} = [", f"    {input_name(BARE)}[i]",
                              "    for i in range(len(MEMORY_SLOT_KEYS))", "]"])
        parts = [[f"        key[{i}],"] for i in range(count)]
        parts.insert(layout.entry_index, entry)
        element = ["    (", *[line for part in parts for line in part], "    )"]
        return "\n".join([f"{region.list_name} = [", *element,
                          "    for i, key in enumerate(MEMORY_SLOT_KEYS)", "]"])
    if layout.entry_index is None:
        element = _entry_lines("    ")
    else:
        parts = [[f"        key[{i}],"] for i in range(count)]
        parts.insert(layout.entry_index, _entry_lines("        ", comma=True))
        element = ["    (", *[line for part in parts for line in part], "    )"]
    lines = [line.format(k=k, name=input_name(k)) if k else line
             for line in element for k in (list(layout.shapes) if "{k}" in line else [""])]
    return "\n".join([f"{region.list_name} = [", *lines,
                      "    for i, key in enumerate(MEMORY_SLOT_KEYS)", "]"])


def _entry_lines(indent: str, comma: bool = False) -> list[str]:
    # The middle line is a template, repeated for each entry key by `slot_list_source`.
    return [f"{indent}" + "{", f'{indent}    "{{k}}": {{name}}[i],', f"{indent}" + "}" + ("," if comma else "")]


def replace_with(source: str, leading: Sequence[cst.EmptyLine] = ()) -> Edit:
    """Replace a statement with the statements parsed from `source`."""

    def edit(node: cst.CSTNode) -> Replacement:
        statements = list(cst.parse_module(source).body)
        first = statements[0]
        statements[0] = first.with_changes(leading_lines=[*leading, *first.leading_lines])
        return cst.FlattenSentinel(statements)

    return edit


def remove() -> Edit:
    return lambda node: cst.RemoveFromParent()


def prepend(source: str) -> Edit:
    """Put the statements of `source` before the (already edited) statement."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.BaseStatement)
        new = list(cst.parse_module(source).body)
        return cst.FlattenSentinel([*new, node])

    return edit


def add_keyword(keyword: str, value: str) -> Edit:
    """Add `keyword=value` to a call, then put one argument per line."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.Call)
        equal = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))
        args = [*node.args, cst.Arg(cst.parse_expression(value), keyword=cst.Name(keyword), equal=equal)]
        return explode_args(node.with_changes(args=args))

    return edit


def _newline(indent: str) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(cst.TrailingWhitespace(), [], True, cst.SimpleWhitespace(indent))


def explode_args(call: cst.Call) -> cst.Call:
    """One argument per line, with a trailing comma (the layout black and ruff keep)."""
    args = []
    for i, arg in enumerate(call.args):
        last = i == len(call.args) - 1
        comma = cst.Comma(whitespace_after=_newline("" if last else "    "))
        args.append(arg.with_changes(comma=comma, whitespace_after_arg=cst.SimpleWhitespace("")))
    return call.with_changes(args=args, whitespace_before_args=_newline("    "))


def replace_params(source: str) -> Edit:
    """Give a function the parameters of `def f(<source>): ...`, one per line."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.FunctionDef)
        parsed = cst.parse_statement(f"def f(\n{source}\n): ...")
        assert isinstance(parsed, cst.FunctionDef)
        return node.with_changes(params=parsed.params,
                                 whitespace_before_params=parsed.whitespace_before_params)

    return edit


def param_text(param: cst.Param) -> str:
    """One parameter as written, without its comma and surrounding whitespace."""
    bare = param.with_changes(comma=cst.MaybeSentinel.DEFAULT,
                              whitespace_after_param=cst.SimpleWhitespace(""))
    return cst.Module([]).code_for_node(bare).strip()


def mask_source(cat_var: str, cat_dim: int) -> str:
    """The key padding mask (batch, tokens) for the concatenated memory `cat_var`."""
    batch_dim = 1 if cat_dim == 0 else 0
    return f"{MASK_NAME} = _padding_mask({VALID_NAME}, batch={cat_var}.shape[{batch_dim}])"


FILLER = -2  # the token run of a filler appended when nothing was gathered (consumer.thread_mask)


def per_slot_source(filler: bool) -> str:
    """The mask helpers' `per_slot` line: each slot's validity, then (with a filler, run -2)
    whether every slot is empty, then True for tokens of no slot (run -1)."""
    empty = "~valid.any(0, keepdim=True), " if filler else ""
    return f"per_slot = torch.cat([valid, {empty}torch.ones(1, dtype=torch.bool, device=valid.device)])"


def helper_source(layout: MemoryLayout, runs: tuple[tuple[int, int], ...]) -> str:
    """Module-level constants and helpers of the memory rewrite."""
    keys = ", ".join(repr(s.key) for s in layout.slots)
    shapes = "".join(f'\n    "{k}": {v!r},' for k, v in layout.shapes.items())
    dtypes = "".join(f'\n    "{k}": {v},' for k, v in layout.dtypes.items())
    if layout.entry_index is None:
        split = "key, entry = (), element"
    else:
        i = layout.entry_index
        split = f"key, entry = element[:{i}] + element[{i + 1}:], element[{i}]"
    runs_text = ", ".join(f"({s}, {n})" for s, n in runs) + ("," if len(runs) == 1 else "")
    filler = any(slot == FILLER for slot, _ in runs)
    entry, read = ("Tensor", "e") if layout.bare else ("dict[str, Tensor]", "e[name]")
    return HELPERS.format(keys=keys + ("," if len(layout.slots) == 1 else ""), shapes=shapes,
                          dtypes=dtypes, split=split, valid=VALID_NAME, runs=runs_text,
                          per_slot=per_slot_source(filler),
                          filler_note="\n# Slot -2: the filler, attended to only when every slot is empty." if filler else "",
                          entry=entry, read=read,
                          what="the tensor" if layout.bare else "each tensor")


HELPERS = '''
# The memory slots of the export, in graph order: each slot's key (the non-tensor part of a
# gathered memory element) and the shape and dtype of {what} of its entry.
MEMORY_SLOT_KEYS: tuple[tuple[object, ...], ...] = ({keys})
MEMORY_ENTRY_SHAPES: dict[str, tuple[int, ...]] = {{{shapes}
}}
MEMORY_ENTRY_DTYPES: dict[str, torch.dtype] = {{{dtypes}
}}
# The concatenated memory's tokens in order, as runs of (slot, count); slot -1: tokens of no
# slot, always attended to. Measured on the original by `exportlint fix`.{filler_note}
MEMORY_TOKEN_RUNS: tuple[tuple[int, int], ...] = ({runs})


def _fill_slots(gathered: list[object]) -> dict[str, Tensor]:
    """Stack gathered memory elements into fixed slots, by key; empty slots are zeros.

    Returns one stacked tensor per entry key, and `"{valid}"`: True where a slot holds memory.
    """
    entries: list[{entry} | None] = [None] * len(MEMORY_SLOT_KEYS)
    for element in gathered:
        {split}
        free = [i for i, k in enumerate(MEMORY_SLOT_KEYS) if k == key and entries[i] is None]
        if not free:
            raise ValueError(f"memory element {{key}} has no free slot in the export")
        entries[free[0]] = entry  # type: ignore[assignment]
    stacked = {{
        name: torch.stack(
            [
                {read} if e is not None else torch.zeros(shape, dtype=MEMORY_ENTRY_DTYPES[name])
                for e in entries
            ]
        )
        for name, shape in MEMORY_ENTRY_SHAPES.items()
    }}
    stacked["{valid}"] = torch.tensor([e is not None for e in entries])
    return stacked


def _padding_mask(valid: Tensor, batch: int) -> Tensor:
    """Key padding mask (batch, tokens) of the concatenated memory: True on empty slots' tokens."""
    {per_slot}
    tokens = torch.cat([per_slot[slot].expand(count) for slot, count in MEMORY_TOKEN_RUNS])
    return (~tokens).unsqueeze(0).expand(batch, -1)
'''
