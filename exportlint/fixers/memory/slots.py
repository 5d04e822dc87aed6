"""The fixed-slot memory remedy, shared by the dict-access, dynamic-loop and variable-length-cat fixers.

A forward that gathers frames from a memory dict (`.get(frame)`, `if out is None: continue`)
into a list and concatenates it exports only for the memory layout seen at export. The rewrite:

- host side: the gathering code runs unchanged, as `gather_memory` on the wrapper's subclass;
  `export_inputs` stacks what it gathers into fixed slots (zeros where a frame is missing);
- graph side: forward takes `memory_<key>` tensors (one slot per possible frame) and
  `memory_valid`, builds every slot, and the memory attention gets a key padding mask so
  empty slots are ignored. Results equal eager for any number of frames from 0 to the maximum.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
from dataclasses import dataclass
from typing import Any

import libcst as cst

from exportlint.fixers.memory.codegen import (
    FILLER,
    VALID_NAME,
    helper_source,
    input_name,
    param_text,
    remove,
    replace_params,
    replace_with,
    slot_list_source,
)
from exportlint.fixers.memory.consumer import KEY_MASK_HELPER, thread_mask
from exportlint.fixers.memory.layout import (
    GatherRegion,
    MemoryLayout,
    compute_layout,
    entries_in,
    find_region,
    grow_walked,
    is_entry,
    memory_with,
)
from exportlint.fixers.memory.scores import KEY_MASK
from exportlint.fixers.rewrites.branches import mergeable, where_if
from exportlint.fixers.rewrites.codemods import Replacement
from exportlint.fixers.rewrites.loops import loaded_names, stored_names
from exportlint.fixers.wrapper.bindings import free_names
from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import CallArg, GraphInput, ParamFact, WrapperPlan
from exportlint.target import import_target

# The notes of the rewrite are filed under the rule of the pattern it removes: the dict.
NOTE_RULE = "dict-access"


class FixedSlotMemoryFixer(Fixer):
    """One rewrite fixes the three rules of the tracker memory pattern: the dict lookups, the
    loop over them and the concatenation of what they found. Each rule's fixer subclasses this
    and sets its own `rule` and `title`; `select_fixers` applies the first one selected."""

    fixes = ("dict-access", "dynamic-loop", "variable-length-cat")

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        param = next((p for p in plan.params if p.kind == "dict" and entries_in(p.value)
                      and not is_entry(p.value)), None)
        if param is None:
            return
        forward = plan.index.methods.get(f"{plan.facts.root_class}.forward")
        assert forward is not None
        body = [s for s in forward.node.body.body if isinstance(s, cst.BaseStatement)]
        region = find_region(body, param.name)
        if isinstance(region, str) and _passed_on(forward.node, param.name):
            return  # read by code elsewhere: pipeline/containers names that code
        if isinstance(region, str):
            plan.needs_manual(self.rule, forward.line, forward.symbol, f"memory dict "
                              f"`{param.name}`: {region}; no fixed-slot rewrite applies.")
            return
        gather_src = gather_source(forward.node, region)
        try:
            gather = compile_gather(plan, gather_src, ctx.module)
            layout = compute_layout(gather, ctx.args, dict(ctx.kwargs), _position(ctx, param),
                                    param.value)
            if layout.enumerated:
                grown = grow_walked(gather, ctx.args, dict(ctx.kwargs), _position(ctx, param),
                                    param.value, layout)
                if grown is not None:  # the code caps the frames it gathers: that many slots
                    param = dataclasses.replace(param, value=grown[0])
                    layout = grown[1]
        except ValueError as error:
            plan.needs_manual(self.rule, forward.line, forward.symbol, str(error))
            return
        post = body[region.end + 1:]
        filler = empty_filler(post, region.lists)
        rest = [stmt for stmt in post if filler is None or stmt is not filler.statement]
        guard = empty_guard(rest, region.lists)
        if isinstance(guard, str):
            plan.needs_manual(self.rule, forward.line, forward.symbol, guard)
            return
        runs = thread_mask(plan, ctx, post, forward.symbol, layout, _position(ctx, param),
                           param.value, filler=filler is not None)
        if runs is None:
            return
        if guard is not None:
            _merge_guard(plan, forward.symbol, guard)
        if filler is not None:
            _keep_filler(plan, forward.symbol, filler, any(slot == FILLER for slot, _ in runs))
        reason = _merge_tests(plan, forward.symbol, rest, region.lists,
                              guard.statement if guard else None)
        if reason:
            plan.needs_manual(self.rule, forward.line, forward.symbol, reason)
            return
        _rewrite_forward(plan, forward.node, body, region, layout, param)
        _interface(plan, param, layout, gather_src)
        plan.helpers["memory"] = helper_source(layout, runs)
        plan.case_builders.append(_case_builder(param, layout, _position(ctx, param)))
        _notes(plan, param, region, layout, body)


@dataclass
class EmptyFiller:
    """`if <list is empty>: <list>.append(<filler>)` after the gather region (a learned
    "no memory" token): the list then holds the filler only when nothing was gathered."""

    statement: cst.If
    list_name: str
    value: str


def empty_filler(post: list[cst.BaseStatement], lists: tuple[str, ...]) -> EmptyFiller | None:
    """The filler appended when nothing was gathered, if forward has one."""
    for stmt in post:
        if not (isinstance(stmt, cst.If) and stmt.orelse is None and _tests_empty(stmt.test, lists)):
            continue
        small = _only_statement(stmt.body)
        call = small.value if isinstance(small, cst.Expr) else None
        if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "append" and isinstance(call.func.value, cst.Name)
                and call.func.value.value in lists and len(call.args) == 1):
            return EmptyFiller(stmt, call.func.value.value, cst.Module([]).code_for_node(call.args[0].value))
    return None


def _keep_filler(plan: WrapperPlan, symbol: str, filler: EmptyFiller, attended: bool) -> None:
    """The filler is appended on every call; the mask attends to it only when every slot is
    empty (`attended`), or it is dropped when an always-present slot keeps the list non-empty."""
    test = cst.Module([]).code_for_node(filler.statement.test)
    if attended:
        comments = [cst.EmptyLine(comment=cst.Comment(text)) for text in (
            f"# exportlint: `if {test}: {filler.list_name}.append(...)` (no memory frame): with fixed slots",
            f"# the filler is always there; the mask attends to it only when every slot is empty.")]
        plan.edit(symbol, filler.statement, replace_with(f"{filler.list_name}.append({filler.value})\n", comments))
        text = (f"`if {test}:` appends `{filler.value}` when no memory frame is found: the export always "
                "appends it, and the key mask attends to its tokens only when every memory slot is empty.")
    else:
        plan.edit(symbol, filler.statement, remove())
        text = (f"`if {test}:` never runs: an always-present memory slot keeps `{filler.list_name}` "
                "non-empty, so the export leaves it out.")
    position = plan.index.positions[filler.statement]
    plan.claimed.append((position.start.line, position.end.line))
    plan.note(NOTE_RULE, text, position.start.line)


@dataclass
class EmptyGuard:
    """`if <list is empty>: return <early>` after the gather region, and forward's last return."""

    statement: cst.If
    early: cst.BaseExpression
    final_statement: cst.SimpleStatementLine


def empty_guard(post: list[cst.BaseStatement], lists: tuple[str, ...]) -> EmptyGuard | str | None:
    """The early return taken when nothing was gathered (None: there is none; a reason when
    it cannot be merged). With fixed slots the list is never empty, so the wrapper computes
    both results and `memory_valid.any()` picks one."""
    for i, stmt in enumerate(post):
        if not (isinstance(stmt, cst.If) and _tests_empty(stmt.test, lists)):
            continue
        line = cst.Module([]).code_for_node(stmt.test)
        early = _single_return(stmt.body)
        if early is None or early.value is None or stmt.orelse is not None:
            return (f"`if {line}:` (no memory frame found) does more than return a value; "
                    "with fixed slots the list is never empty, so its body must become a "
                    "value the graph selects: rewrite it as one `return`")
        last = post[-1]
        final = _single_return(last) if last is not stmt else None
        returns = _returns(post[i + 1:-1])
        if final is None or returns or not isinstance(last, cst.SimpleStatementLine):
            return (f"`if {line}:` (no memory frame found) returns early, but forward does "
                    "not end in one `return` after it; both results cannot be selected")
        arity = [len(v.elements) for v in (early.value, final.value) if isinstance(v, cst.Tuple)]
        if len(set(arity)) > 1:
            return (f"`if {line}:` (no memory frame found) returns {arity[0]} values and "
                    f"forward's last return {arity[1]}; both results cannot be selected")
        return EmptyGuard(stmt, early.value, last)
    return None


def _tests_empty(test: cst.BaseExpression, lists: tuple[str, ...]) -> bool:
    code = " ".join(cst.Module([]).code_for_node(test).split())
    return any(code in (f"not {name}", f"len({name}) == 0", f"len({name}) < 1", f"len({name}) <= 0",
                        f"not len({name})", f"{name} == []", f"0 == len({name})") for name in lists)


def _tests_found(test: cst.BaseExpression, lists: tuple[str, ...]) -> bool:
    code = " ".join(cst.Module([]).code_for_node(test).split())
    return any(code in (name, f"len({name}) > 0", f"len({name}) >= 1", f"len({name})",
                        f"len({name}) != 0", f"{name} != []", f"0 < len({name})") for name in lists)


def _merge_tests(plan: WrapperPlan, symbol: str, post: list[cst.BaseStatement], lists: tuple[str, ...],
                 skip: cst.If | None) -> str:
    """Merge the other `if` statements after the gathering that test whether anything was
    found (`if bank: x = x + self.read(x, torch.cat(bank))`): with fixed slots the test is
    `memory_valid.any()`, both branches are computed and torch.where selects what they assign.
    A reason when one cannot be merged."""
    for i, stmt in enumerate(post):
        if not isinstance(stmt, cst.If) or stmt is skip:
            continue
        found, empty = _tests_found(stmt.test, lists), _tests_empty(stmt.test, lists)
        if not (found or empty):
            continue
        test = cst.Module([]).code_for_node(stmt.test)
        reason = mergeable(stmt)
        if reason is not None:
            return (f"`if {test}:` (whether a memory frame was found) {reason}; with fixed slots "
                    "its branches must be merged with torch.where: rewrite them as assignments")
        pred = f"{VALID_NAME}.any()" if found else f"~{VALID_NAME}.any()"
        drop = frozenset(stored_names([stmt]) - loaded_names(post[i + 1:]))
        plan.edit(symbol, stmt, _merged_under(pred, "memory_found" if found else "memory_missing",
                                              drop))
        position = plan.index.positions[stmt]
        plan.claimed.append((position.start.line, position.end.line))
        plan.note(NOTE_RULE, f"`if {test}:` tests whether a memory frame was found: with fixed "
                  f"slots that is `{pred}`; both branches are computed and torch.where selects "
                  "what they assign.", position.start.line)
    return ""


def _only_statement(block: cst.BaseSuite | cst.BaseStatement) -> cst.BaseSmallStatement | None:
    """The one small statement a block (or one statement line) consists of, if that is all."""
    body = list(block.body) if isinstance(block, cst.IndentedBlock) else [block]
    only = body[0] if len(body) == 1 else None
    if isinstance(block, cst.SimpleStatementSuite):
        small = list(block.body)
    elif isinstance(only, cst.SimpleStatementLine):
        small = list(only.body)
    else:
        small = []
    return small[0] if len(small) == 1 else None


def _single_return(block: cst.BaseSuite | cst.BaseStatement) -> cst.Return | None:
    """The `return <value>` a block (or one statement) consists of, if that is all it is."""
    small = _only_statement(block)
    return small if isinstance(small, cst.Return) and small.value is not None else None


def _returns(stmts: list[cst.BaseStatement]) -> list[cst.Return]:
    found: list[cst.Return] = []

    class _Find(cst.CSTVisitor):
        def visit_Return(self, node: cst.Return) -> None:
            found.append(node)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # a nested function's returns are its own

    for stmt in stmts:
        stmt.visit(_Find())
    return found


EMPTY_NAME = "no_memory_result"
RESULT_NAME = "memory_result"


def _merge_guard(plan: WrapperPlan, symbol: str, guard: EmptyGuard) -> None:
    test = cst.Module([]).code_for_node(guard.statement.test)
    early = cst.Module([]).code_for_node(guard.early)
    comments = [cst.EmptyLine(comment=cst.Comment(text)) for text in (
        f"# exportlint: `if {test}: return ...` (no memory frame) becomes a value: with fixed",
        f"# slots the list is never empty, so `{VALID_NAME}.any()` picks the result below.")]
    plan.edit(symbol, guard.statement, replace_with(f"{EMPTY_NAME} = {early}\n", comments))

    final = guard.final_statement
    earlier = plan.edits.get(symbol, {}).get(final)  # the mask's statement, put before it
    returned = final.body[0]
    assert isinstance(returned, cst.Return)
    several = isinstance(guard.early, cst.Tuple) or isinstance(returned.value, cst.Tuple)

    def select(node: cst.CSTNode) -> Replacement:
        done = earlier(node) if earlier is not None else node
        statements = list(done.nodes) if isinstance(done, cst.FlattenSentinel) else [done]
        last = statements[-1]
        assert isinstance(last, cst.SimpleStatementLine)
        returned = last.body[0]
        assert isinstance(returned, cst.Return) and returned.value is not None
        value = cst.Module([]).code_for_node(returned.value)
        pick = f"torch.where({VALID_NAME}.any(), {RESULT_NAME}, {EMPTY_NAME})"
        if several:  # tuples: select each output
            pick = (f"tuple(\n    torch.where({VALID_NAME}.any(), found, missing)\n"
                    f"    for found, missing in zip({RESULT_NAME}, {EMPTY_NAME})\n)")
        split = cst.parse_module(f"{RESULT_NAME} = {value}\nreturn {pick}\n").body
        first = split[0].with_changes(leading_lines=last.leading_lines)
        return cst.FlattenSentinel([*statements[:-1], first, *split[1:]])

    plan.edit(symbol, final, select)
    position = plan.index.positions[guard.statement]
    plan.claimed.append((position.start.line, position.end.line))
    plan.note(NOTE_RULE, f"`if {test}:` returns early when no memory frame is found: both "
              f"results are computed and `{VALID_NAME}.any()` selects one.", position.start.line)


def _passed_on(forward: cst.FunctionDef, name: str) -> bool:
    """Forward reads `name` only to pass it, whole, to other calls."""
    whole, every = [0], [0]

    class _Uses(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == name:
                whole[0] += 1
            if node.keyword is not None and node.keyword.value == name:
                every[0] -= 1  # `f(name=...)`: the keyword is a label, not a read

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                every[0] += 1

    forward.body.visit(_Uses())
    return whole[0] > 0 and whole[0] == every[0]


def _merged_under(pred: str, name: str, drop: frozenset[str]) -> Any:
    """`where_if` of the `if` with its test replaced by `pred` (named `name`)."""

    def edit(node: cst.CSTNode) -> Replacement:
        assert isinstance(node, cst.If)
        return where_if(node.with_changes(test=cst.parse_expression(pred)), name, drop)

    return edit


def gather_source(forward: cst.FunctionDef, region: GatherRegion) -> str:
    """`gather_memory`: forward's code up to the end of the gather region, returning the list."""
    body = list(forward.body.body[:region.end + 1])
    if region.parallel:  # one element per frame: the parallel lists' tensors side by side
        names, items = " and ".join(f"`{n}`" for n in region.lists), ", ".join(f"{n}_i" for n in region.lists)
        lengths = " == ".join(f"len({n})" for n in region.lists)
        lengths = lengths.replace(" == ", " != ") if len(region.lists) == 2 else f"not {lengths}"
        entry = ", ".join(f'"{n}": {n}_i' for n in region.lists)
        body.extend(cst.parse_module(
            f"if {lengths}:\n"
            f"    raise ValueError(\"the gathered lists {names} differ in length\")\n"
            f"return [{{{entry}}} for {items} in zip({', '.join(region.lists)})]\n").body)
    else:
        body.append(cst.parse_statement(f"return {region.list_name}"))
    doc = cst.parse_statement('"""Run the memory gathering of `forward` on the host; '
                              'return what it gathers."""')
    node = forward.with_changes(name=cst.Name("gather_memory"), leading_lines=[],
                                body=forward.body.with_changes(body=[doc, *body]),
                                returns=cst.Annotation(cst.parse_expression("list")))
    return cst.Module([node]).code


def compile_gather(plan: WrapperPlan, source: str, module: Any) -> Any:
    """`gather_memory` compiled in the user's module namespace, bound to `module`."""
    home = (importlib.import_module(plan.source_module) if plan.source_module
            else import_target(plan.target))
    namespace = dict(vars(home))
    exec(compile(source, str(plan.index.path), "exec"), namespace)  # noqa: S102 - user's own code
    return types.MethodType(namespace["gather_memory"], module)


def _position(ctx: FixContext, param: ParamFact) -> int | str:
    names = [p.name for p in ctx.plan.params]
    return names.index(param.name) if param.positional else param.name


def _rewrite_forward(plan: WrapperPlan, forward: cst.FunctionDef, body: list[cst.BaseStatement],
                     region: GatherRegion, layout: MemoryLayout, param: ParamFact) -> None:
    symbol = f"{plan.facts.root_class}.forward"
    comments = [cst.EmptyLine(comment=cst.Comment(text)) for text in (
        f"# exportlint: fixed memory slots replace the `{param.name}` lookups (gather_memory",
        f"# runs them on the host); `{VALID_NAME}` marks the slots that hold a frame.")]
    source = slot_list_source(region, layout)
    if KEY_MASK_HELPER in plan.helpers:  # a hand-written attention reads the memory (scores.py)
        source += f"\n{KEY_MASK} = _key_mask({VALID_NAME})"
    plan.edit(symbol, body[region.start], replace_with(source, comments))
    for stmt in body[region.start + 1:region.end + 1]:
        plan.edit(symbol, stmt, remove())
    used = free_names(body[:region.start] + body[region.end + 1:])
    keep = [p for p in forward.params.params if p.name.value in used or p.name.value == "self"]
    new = [*[input_name(k) for k in layout.shapes], VALID_NAME]
    texts = [param_text(p) for p in keep]
    position = next((i for i, p in enumerate(keep) if p.name.value != "self" and
                     _after(forward, p.name.value, param.name)), len(keep))
    texts[position:position] = [f"{n}: Tensor" for n in new]
    plan.edit(symbol, forward, _params_edit(texts))
    plan.claimed.append((_line(plan, body[region.start]), _end_line(plan, body[region.end])))


def _after(forward: cst.FunctionDef, name: str, memory: str) -> bool:
    order = [p.name.value for p in forward.params.params]
    return order.index(name) > order.index(memory)


def _params_edit(texts: list[str]) -> Any:
    return replace_params("".join(f"    {t},\n" for t in texts).rstrip("\n"))


def _line(plan: WrapperPlan, node: cst.CSTNode) -> int:
    return plan.index.positions[node].start.line


def _end_line(plan: WrapperPlan, node: cst.CSTNode) -> int:
    return plan.index.positions[node].end.line


def _interface(plan: WrapperPlan, param: ParamFact, layout: MemoryLayout, gather_src: str) -> None:
    """Graph inputs, the wrapper's call and export_inputs' host-side stacking."""
    root = plan.facts.root_class
    plan.new_methods.setdefault(root, []).append(gather_src)
    position = next(i for i, g in enumerate(plan.inputs) if g.name == param.name)
    memory = [GraphInput(input_name(k), f'memory["{k}"]') for k in layout.shapes]
    memory.append(GraphInput(VALID_NAME, f'memory["{VALID_NAME}"]'))
    plan.inputs[position:position + 1] = memory
    call_params = _forward_params(plan, param.name)
    plan.call = [CallArg(None, _call_expr(plan, name)) for name in call_params]
    # A tensor only the gathering reads (a frame index given as a tensor) is no graph input.
    plan.inputs[:] = [g for g in plan.inputs if g.name in call_params or plan.param(g.name) is None]
    args = ", ".join(p.name for p in plan.params)
    gather = f"gathered = self.model.gather_memory({args})"
    if len(gather) > 90:
        gather = "gathered = self.model.gather_memory(\n" + "".join(
            f"    {p.name},\n" for p in plan.params) + ")"
    plan.adapter = [gather, "memory = _fill_slots(gathered)"]


def _forward_params(plan: WrapperPlan, memory: str) -> list[str]:
    """The rewritten forward's parameter names, in order (from its parameters edit)."""
    symbol = f"{plan.facts.root_class}.forward"
    forward = plan.index.methods[symbol].node
    edited = plan.edits[symbol][forward](forward)
    assert isinstance(edited, cst.FunctionDef)
    return [p.name.value for p in edited.params.params if p.name.value != "self"]


def _call_expr(plan: WrapperPlan, name: str) -> str:
    fact = plan.param(name)
    if fact is None or fact.kind in ("tensor", "tensors", "dict", "other"):
        return name
    return repr(fact.value)


def _case_builder(param: ParamFact, layout: MemoryLayout, position: int | str) -> Any:
    lookups = [i for i, s in enumerate(layout.slots) if s.source is not None]

    def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
        cases = []
        for count in range(len(lookups) + 1):
            present = set(lookups[len(lookups) - count:])
            memory = memory_with(param.value, layout, present, seed=count)
            new_args, new_kwargs = _with_memory(args, kwargs, position, memory)
            text = f"{count} of {len(lookups)} memory frames (most recent first)"
            cases.append((f"memory-{count}", new_args, new_kwargs, text))
        oldest = memory_with(param.value, layout, set(lookups[:1]), seed=99)
        cases.append(("memory-oldest", *_with_memory(args, kwargs, position, oldest),
                      "only the oldest memory frame (gaps before the current frame)"))
        return cases

    return build


def _with_memory(args: tuple[Any, ...], kwargs: dict[str, Any], position: int | str,
                 memory: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if isinstance(position, int):
        return (*args[:position], memory, *args[position + 1:]), dict(kwargs)
    return tuple(args), {**kwargs, position: memory}


def _notes(plan: WrapperPlan, param: ParamFact, region: GatherRegion, layout: MemoryLayout,
           body: list[cst.BaseStatement]) -> None:
    lookups = sum(1 for s in layout.slots if s.source is not None)
    plan.note(NOTE_RULE, f"`{param.name}` becomes {len(layout.slots)} fixed memory "
              f"slots ({lookups} looked up by frame, {len(layout.slots) - lookups} always present): "
              f"inputs {', '.join(input_name(k) for k in layout.shapes)} and {VALID_NAME}.",
              _line(plan, body[region.start]))
    first, last = _line(plan, body[region.start]), _end_line(plan, body[region.end])
    lines = f"line {first}" if first == last else f"lines {first}-{last}"
    plan.note(NOTE_RULE, f"the gathering ({lines}) runs on the host in `gather_memory`; "
              "export_inputs stacks its result, zeros in empty slots.")
    if layout.bounded:
        plan.note(NOTE_RULE, f"the gathering walks `{param.name}`'s frames (its keys, items or "
                  "length) and takes at most "
                  f"{len(layout.slots)} of them, measured by gathering from a memory with 8 and 16 "
                  "more frames: that many slots, which export_inputs fills from any memory.", first)
    elif layout.enumerated:
        plan.note(NOTE_RULE, f"the gathering walks `{param.name}`'s frames (its keys, items or "
                  "length) instead of looking them up: the export holds as many slots as the "
                  f"example has frames ({len(layout.slots)}) and export_inputs refuses a memory "
                  "with more; give make() a memory with the most frames the model will see.", first)
    dropped = [p.name for p in plan.params if p.kind in ("value", "none", "tensor") and
               p.name not in _forward_params(plan, param.name)]
    if dropped:
        plan.notes[:] = [n for n in plan.notes if not (n.rule == "inputs" and
                                                        any(f"`{d}=" in n.text for d in dropped))]
        which = "only chooses memory frames: it stays a host-side argument" if len(dropped) == 1 \
            else "only choose memory frames: they stay host-side arguments"
        plan.note(NOTE_RULE, f"{', '.join(f'`{d}`' for d in dropped)} {which} of export_inputs, "
                  "not constants or graph inputs.")
