"""dynamic-branch fixer: freeze configuration, flags and shapes; express data branches in the graph.

- A test that had one Python value during the traced forward (`self.pre_norm`, `dac`,
  `x.shape[0] > 1`, `mask is None`) is frozen to it: the branch not taken is dropped from a
  copy of the method, and a method picked through a variable is called directly.
- A shape test also pins its axis: the axis is kept static in the export.
- A test on tensor data is rewritten so both outcomes are in the graph: `torch.where` for a
  conditional expression or an if/else of assignments and same-list appends (both sides
  computed, one selected), and for an early `return` at the top of a method followed by
  `return b`; with the dynamo exporter only, an if/else whose branches call different
  submodules becomes `torch.cond` (an ONNX `If`; the legacy exporter cannot trace torch.cond).
  `elif` clauses and `if` statements nested in a branch are merged inside it under their own
  predicates (or frozen, when they are configuration that ran); `if <tensor test>: continue`
  (or `if <tensor test>: <appends/assignments>; continue`) directly in a loop body merges the
  rest of that body as its `else` branch. Both sides run on every input: a side that raises on
  the inputs the other takes (`amax` of an empty selection) fails the export, loudly.
- A size that tensor values decide (`len(kept)` with `kept = boxes[mask]`, `idx.numel()` after
  `nonzero`), which eager gives as a Python int, is computed in the graph (`_size`) so a test
  on it is tensor data like any other.
- A `while` loop on tensor data, or a loop with `if <tensor test>: break`, becomes a `for` loop of
  a static bound (its `range`, a counter compared to configuration such as `self.max_steps`,
  else `--max-iters`) in which a boolean tensor `done` freezes every loop-carried name once the
  original would have stopped. Exact for inputs that stop within the bound.
  Anything else (returns, side effects in a data-dependent branch) needs manual work.
"""

from __future__ import annotations

import dataclasses
import re

import libcst as cst

from exportlint.analysis.values import Dep
from exportlint.cstwalk import nodes_in
from exportlint.fixers.facts.source_index import Site
from exportlint.fixers.rewrites.branches import (
    Decision,
    Merge,
    freeze_chain,
    if_chain,
    inner_ifs,
    mergeable,
    where_if,
    where_ifexp,
    with_tail,
)
from exportlint.fixers.rewrites.codemods import freeze_ifexp, freeze_while_false
from exportlint.fixers.rewrites.cond import calls_submodule, cond_if
from exportlint.fixers.rewrites.loops import (
    LoopPlan,
    enclosing_loop,
    is_break_if,
    loaded_names,
    plan_loop,
    split_method,
    stored_names,
)
from exportlint.fixers.rewrites.masked_loop import KEEP_HELPER, masked_loop
from exportlint.fixers.rewrites.sizes import SIZE_HELPER, size_queries
from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.rules.base import DEP_WORDS
from exportlint.rules.dynamic_branch import COND_WORDS, SIZE_WORDS

_SHAPE = re.compile(r"\.shape\b|\.size\(|\blen\(|\.dim\(|\.ndim\b|\.numel\(")
_TYPE_TEST = re.compile(r"\b(isinstance|issubclass|type|hasattr|callable|getattr)\(")
_AXIS = re.compile(r"\b(\w+)(?:\[\d+\])?\.(?:shape\[|size\()(-?\d+)")


class DynamicBranchFixer(Fixer):
    rule = "dynamic-branch"
    title = "Freeze configuration, flags and shapes; express data-dependent branches in the graph"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        merged: set[tuple[int, int]] = set()  # tests nested in a merged `if` (merged with it)
        _written_cond(ctx)
        sized = _sized_by_data(ctx)
        layout = _on_layout(ctx)
        hidden = _hidden_data(ctx)
        for site in _sites(ctx):
            if not plan.facts.ran(site.symbol) or not plan.facts.observed(site) or \
                    plan.is_claimed(site.line) or site.key in merged:
                continue
            node = _owner(plan, site)
            if node is None:
                continue
            if site.key in layout and not plan.facts.is_data_dependent(site):
                # never frozen: which frames a runtime dict holds changes from call to call
                plan.needs_manual(self.rule, site.line, site.symbol,
                                  f"`{site.display}` depends on what a runtime container holds "
                                  "(which keys, how many items): it is not frozen to the example's "
                                  "layout; a fixed-slot memory with a validity mask expresses it "
                                  "(the dict-access item says why that rewrite did not apply).")
                continue
            if site.key in sized and not plan.facts.is_data_dependent(site):
                _size_in_graph(plan, site, node)
            if plan.facts.is_data_dependent(site) or site.key in sized or site.key in hidden:
                merged |= _rewrite_data(plan, site, node, ctx.exporter == "dynamo")
            elif plan.facts.frozen_truth(site) is not None:
                _freeze(plan, site, node)
            elif any(o.kind == "value" for o in plan.facts.observed(site)):
                plan.note(self.rule, f"`{site.display}` changes during one forward (loop or "
                          "repeated call): left as written, the export unrolls it.", site.line)


def _written_cond(ctx: FixContext) -> None:
    """A branch the user wrote with torch.cond: kept as written (an ONNX If under dynamo); the
    legacy tracer cannot trace it, which no rewrite here changes."""
    for finding in ctx.findings_for(DynamicBranchFixer.rule):
        if COND_WORDS not in finding.message:
            continue
        if (finding.symbol and not ctx.plan.facts.ran(finding.symbol)) or not ctx.blocks(finding):
            continue
        ctx.plan.needs_manual(DynamicBranchFixer.rule, finding.location.line, finding.symbol,
                              "`torch.cond` keeps both branches in the graph, which the legacy tracer "
                              "cannot trace; compute both and select with torch.where for it, or run "
                              "fix with `--exporter dynamo` (an ONNX If) to export it as written.")


def _sites_saying(ctx: FixContext, words: str) -> list[Site]:
    """The sites of the dynamic-branch findings whose message says `words`."""
    sites = []
    for finding in ctx.findings_for(DynamicBranchFixer.rule):
        if words in finding.message:
            site = ctx.plan.index.site_at(finding.location.line, finding.location.column)
            if site is not None:
                sites.append(site)
    return sites


def _sized_by_data(ctx: FixContext) -> set[tuple[int, int]]:
    """The sites whose test the scan found reading a size that tensor values decide
    (`picked.numel() > 0` after `picked = x[mask]`): a Python number in eager, data all the same."""
    return {site.key for site in _sites_saying(ctx, SIZE_WORDS)}


def _hidden_data(ctx: FixContext) -> set[tuple[int, int]]:
    """`and`/`or` tests the scan found on tensor values: Python gives the last operand it
    evaluated, so when the tensor operand never decides on the cases run (`shift > eps and it <
    self.max_iter` ended by its counter) the tracer sees a Python bool; dynamo still guards on it."""
    return {site.key for site in _sites_saying(ctx, f"on {DEP_WORDS[Dep.DATA]}")
            if isinstance(getattr(_owner(ctx.plan, site), "test", None), cst.BooleanOperation)}


def _on_layout(ctx: FixContext) -> set[tuple[int, int]]:
    """The sites whose test the scan found depending on a runtime container's layout (`not
    feats` after gathering from a memory dict): only the memory rewrite may claim them. A type
    test (`isinstance(src, list)`) asks what an input is, fixed for one export, and is not one."""
    return {site.key for site in _sites_saying(ctx, f"on {DEP_WORDS[Dep.LAYOUT]}")
            if not _TYPE_TEST.search(site.test)}


def _size_in_graph(plan: WrapperPlan, site: Site, owner: cst.CSTNode) -> None:
    """Compute the test's sizes as tensors in the graph (`_size(picked)`), so it can be merged."""
    for node, edit in size_queries(owner.test).items():  # type: ignore[attr-defined]
        plan.edit(site.symbol, node, edit)
    plan.helpers["_size"] = SIZE_HELPER
    plan.note(DynamicBranchFixer.rule, f"`{site.display}` reads a size that tensor values decide: "
              "the size is computed in the graph (`_size`), so the test is tensor data.", site.line)


def _sites(ctx: FixContext) -> list[Site]:
    """The sites the scan reported, or every site when there was no scan."""
    index = ctx.plan.index
    findings = ctx.findings_for(DynamicBranchFixer.rule)
    if not ctx.findings:
        return [s for s in index.sites if s.symbol.split(".")[-1] != "__init__"]
    picked = []
    for finding in findings:
        site = index.site_at(finding.location.line, finding.location.column)
        if site is not None and site not in picked:
            picked.append(site)
    return sorted(picked, key=lambda s: s.key)


def _owner(plan: WrapperPlan, site: Site) -> cst.CSTNode | None:
    """The If / IfExp / While node whose test starts at the site."""
    for node in plan.index.positions:
        if isinstance(node, (cst.If, cst.IfExp, cst.While)):
            test = plan.index.positions.get(node.test)
            if test is not None and (test.start.line, test.start.column) == site.key:
                return node
    return None


def _describe(plan: WrapperPlan, site: Site, truth: bool) -> str:
    method = plan.index.methods[site.symbol].node
    params = {p.name.value for p in method.params.params if p.name.value != "self"}
    used = set(re.findall(r"\b\w+\b", site.test))
    if _SHAPE.search(site.test):
        kind = "at the example's shapes"
    elif used & params:
        kind = f"with the argument{'s' if len(used & params) > 1 else ''} passed in this call"
    else:
        kind = "in this configuration"
    return f"`{site.display}` is {truth} {kind}"


def _freeze(plan: WrapperPlan, site: Site, node: cst.CSTNode) -> None:
    truth = plan.facts.frozen_truth(site)
    assert truth is not None
    rule = DynamicBranchFixer.rule
    if isinstance(node, cst.IfExp):
        plan.edit(site.symbol, node, freeze_ifexp(truth))
        kept = plan.index.code(node.body if truth else node.orelse)
        plan.note(rule, f"{_describe(plan, site, truth)}: uses `{' '.join(kept.split())}`.", site.line)
    elif isinstance(node, cst.While):
        if not truth:
            plan.edit(site.symbol, node, freeze_while_false())
            plan.note(rule, f"{_describe(plan, site, truth)}: the loop is dropped.", site.line)
    elif isinstance(node, cst.If):
        _freeze_if(plan, site, node)
    if _SHAPE.search(site.test):
        _pin_axes(plan, site)


def _freeze_if(plan: WrapperPlan, site: Site, node: cst.If) -> None:
    head = _chain_head(plan, site.symbol, node)
    chain = if_chain(head)
    truths = []
    for clause in chain:
        where = plan.index.positions[clause.test].start
        clause_site = plan.index.site_at(where.line, where.column)
        truths.append(plan.facts.frozen_truth(clause_site) if clause_site else None)
    plan.edit(site.symbol, head, freeze_chain(truths))
    truth = plan.facts.frozen_truth(site)
    assert truth is not None
    taken = "the `if` body is kept" if truth else "this branch is dropped"
    plan.note(DynamicBranchFixer.rule, f"{_describe(plan, site, truth)}: {taken}.", site.line)


def _chain_head(plan: WrapperPlan, symbol: str, node: cst.If) -> cst.If:
    method = plan.index.methods[symbol].node
    heads: dict[cst.If, cst.If] = {}

    class _Chains(cst.CSTVisitor):
        def visit_If(self, candidate: cst.If) -> None:
            if candidate not in heads:
                for clause in if_chain(candidate):
                    heads[clause] = candidate

    method.visit(_Chains())
    return heads.get(node, node)


def _pin_axes(plan: WrapperPlan, site: Site) -> None:
    for name, axis in _AXIS.findall(site.test):
        targets = [i.name for i in plan.inputs if i.name == name or i.source.startswith(f"{name}[")]
        for target in targets:
            plan.static_axes.setdefault(target, set()).add(int(axis))
            if int(axis) in plan.dynamic_axes.get(target, {}):
                del plan.dynamic_axes[target][int(axis)]
                plan.note(DynamicBranchFixer.rule, f"axis {axis} of `{target}` was declared "
                          "dynamic; the frozen shape test makes it static.", site.line)


def _rewrite_data(plan: WrapperPlan, site: Site, node: cst.CSTNode, cond_ok: bool) -> set[tuple[int, int]]:
    """Express a tensor-data test in the graph; the nested tests merged with it, by position."""
    rule = DynamicBranchFixer.rule
    if isinstance(node, cst.IfExp):
        plan.watch_sites.append(site)
        plan.edit(site.symbol, node, where_ifexp)
        plan.note(rule, f"`{site.display}` depends on tensor data: both sides are computed and "
                  "torch.where selects one.", site.line)
        return set()
    if isinstance(node, cst.While) or is_break_if(node):
        _rewrite_loop(plan, site, node)
        return set()
    assert isinstance(node, cst.If)  # `_owner` gives an If, IfExp or While
    if _chain_head(plan, site.symbol, node) is not node:
        return set()  # an `elif` test: merged with its chain, or named with the chain's manual item
    skips = _ends_in_continue(node)
    tail = _continue_tail(plan, site, node) if skips else _early_return_tail(plan, site, node)
    if tail:
        node = with_tail(_skipped(node) if skips else node, tail)
    nested = _nested_decisions(plan, node)
    reason = nested if isinstance(nested, str) else mergeable(node, _all_return(node), [d for _, d in nested])
    if reason is not None or isinstance(nested, str):
        plan.needs_manual(rule, site.line, site.symbol, f"`{site.display}` depends on tensor "
                          f"data and {reason}; rewrite it with torch.where or torch.cond.")
        return set()
    plan.watch_sites.append(site)
    plan.watch_sites.extend(s for s, d in nested if isinstance(d, Merge) and s is not None)
    decisions = [d for _, d in nested]
    handled = {s.key for s, _ in nested if s is not None}
    original = _owner(plan, site)
    assert original is not None
    tail_of = node.orelse.body.body if original is not node and isinstance(node.orelse, cst.Else) else None
    for stmt in tail_of or ():
        plan.edit(site.symbol, stmt, lambda _: cst.RemoveFromParent())  # now the `else` branch

    def merged(updated: cst.CSTNode) -> cst.CSTNode:
        if tail_of is None:
            return updated
        return with_tail(_skipped(updated) if skips else updated, tail_of)  # type: ignore[arg-type]

    drop = _branch_locals(plan, site, original, list(tail_of or ()))
    if tail_of is not None:
        if skips:
            plan.note(rule, f"`{site.display}` depends on tensor data and skips the rest of the "
                      "loop body: that rest is its `else` branch, computed on every iteration, and "
                      f"torch.where keeps the old values where the original skipped (`{pred_name(site)}`).",
                      site.line)
        else:
            plan.note(rule, f"`{site.display}` depends on tensor data and returns early: the rest "
                      "of the method is its `else` branch; both are computed and one `return` "
                      f"selects with torch.where (`{pred_name(site)}`).", site.line)
        plan.edit(site.symbol, original,
                  lambda updated: where_if(merged(updated), pred_name(site), drop, decisions))
        return handled
    if cond_ok and calls_submodule(node) and not nested:
        tag = str(site.line)
        plan.edit(site.symbol, original, lambda updated: cond_if(merged(updated), tag, drop))
        plan.note(rule, f"`{site.display}` depends on tensor data and its branches run different "
                  "modules: torch.cond keeps both in the graph (an ONNX If) and runs one.", site.line)
        return handled
    pred = pred_name(site)
    plan.edit(site.symbol, original, lambda updated: where_if(merged(updated), pred, drop, decisions))
    inner = [(s, d) for s, d in nested if isinstance(d, Merge) and s is not None]
    if inner:
        tests = ", ".join(f"`{s.display}`" for s, _ in inner)
        plan.note(rule, f"`{site.display}` depends on tensor data; the tests nested in or chained "
                  f"to it ({tests}) are merged inside its branches: every branch is computed and "
                  f"nested torch.where select what they assign (`{pred}`, " +
                  ", ".join(f"`{d.name}`" for _, d in inner) + ").", site.line)
        for unseen, decision in inner:
            if decision.unseen:
                plan.note(rule, f"`{unseen.display}` never ran on the example inputs, so whether "
                          f"it is tensor data is not known: `{decision.name}` is "
                          "`torch.as_tensor(...)` of it (a Python value becomes a constant).",
                          unseen.line)
    else:
        plan.note(rule, f"`{site.display}` depends on tensor data: both branches are computed and "
                  f"torch.where merges what they assign (`{pred}`).", site.line)
    for frozen, decision in nested:
        if isinstance(decision, bool) and frozen is not None:
            plan.note(rule, f"{_describe(plan, frozen, decision)}: frozen inside the merged branch.",
                      frozen.line)
    return handled


def _nested_decisions(plan: WrapperPlan, node: cst.If) -> list[tuple[Site | None, Decision]] | str:
    """Each `if` nested in or chained to `node` (`inner_ifs` order) with its site and decision:
    frozen to the one value its test had, or merged under its own predicate when the test
    depends on tensor data or never ran; a reason when a test changed between Python values."""
    out: list[tuple[Site | None, Decision]] = []
    for inner in inner_ifs(node):
        where = plan.index.positions[inner.test].start
        site = plan.index.site_at(where.line, where.column)
        if site is None:
            out.append((None, Merge(f"pred_{where.line}", unseen=True)))
            continue
        observed = plan.facts.observed(site)
        truth = plan.facts.frozen_truth(site) if observed else None
        if observed and not plan.facts.is_data_dependent(site):
            if truth is None:
                return f"its nested test `{site.display}` changes between Python values"
            out.append((site, truth))
        else:
            out.append((site, Merge(pred_name(site), unseen=not observed)))
    return out


def _all_return(node: cst.If) -> bool:
    """Every branch of the `if`/`elif`/`else` chain ends with a `return` (an `else` included)."""
    if not _ends_in_return(node.body):
        return False
    if isinstance(node.orelse, cst.If):
        return _all_return(node.orelse)
    return isinstance(node.orelse, cst.Else) and _ends_in_return(node.orelse.body)


def _rewrite_loop(plan: WrapperPlan, site: Site, node: cst.CSTNode) -> None:
    """A loop that stops on tensor data: a static `for`, masked once done (`masked_loop`)."""
    rule = DynamicBranchFixer.rule
    method = plan.index.methods[site.symbol].node
    loop = node if isinstance(node, cst.While) else enclosing_loop(method, node)
    if loop is None:
        plan.needs_manual(rule, site.line, site.symbol, f"`{site.display}` depends on tensor data "
                          "and its `break` is not a statement of a loop body; rewrite it with a mask.")
        return
    if loop in plan.edits.get(site.symbol, {}):
        plan.watch_sites.append(site)
        return  # the loop is already rewritten (its `while` test or an earlier `break`)
    made = plan_loop(method, loop, plan.index.positions, plan.max_iters)
    if isinstance(made, str):
        plan.needs_manual(rule, site.line, site.symbol, f"`{site.display}` depends on tensor data "
                          f"and the loop cannot be masked: {made}; rewrite it by hand.")
        return
    plan.watch_sites.append(site)
    first = plan.index.positions[loop.body.body[0]].start.line
    plan.loop_probes[site.key] = Site("while", site.symbol, first, -1, "True", first)
    plan.edit(site.symbol, loop, masked_loop(made))
    plan.helpers["_keep"] = KEEP_HELPER
    plan.note(rule, _loop_note(site, made, isinstance(loop, cst.While)), site.line)


def _loop_note(site: Site, made: LoopPlan, is_while: bool) -> str:
    frozen = ", ".join(f"`{n}`" for n in made.carried) or "nothing"
    if not is_while:
        runs = f"the loop keeps its iterations over `{made.bound}`"
    elif made.bound_source == "configuration":
        runs = f"the loop becomes a `for` of `{made.bound}` iterations (its own counter's bound)"
    else:
        runs = (f"the loop becomes a `for` of {made.bound} iterations (`--max-iters`; inputs that "
                f"need more than {made.bound} iterations give different results)")
    counter = ""
    if made.counter is not None:
        counter = (f" The counter `{made.counter}` stays a Python int that counts every "
                   "iteration, masked ones included")
        counter += (f"; after the loop it is `{made.counter}_exit_{made.tag}`, the count where "
                    "the original stopped (a tensor)." if made.counter_read_after else ".")
    return (f"`{site.display}` depends on tensor data: {runs}, and once the original would have "
            f"stopped, `done_{made.tag}` freezes {frozen} with torch.where, `_keep` (exact for every input "
            f"that stops within the bound).{counter}")


def _ends_in_return(block: cst.BaseSuite) -> bool:
    last = block.body[-1] if isinstance(block, cst.IndentedBlock) and block.body else None
    return isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Return)


def _early_return_tail(plan: WrapperPlan, site: Site, node: cst.If) -> list[cst.BaseStatement]:
    """`if p: ...; return a` at the top of a method, followed only by simple statements ending in
    `return b`: those statements (the `else` the early return implies), else []."""
    body = list(plan.index.methods[site.symbol].node.body.body)
    if node not in body or node.orelse is not None or not _ends_in_return(node.body):
        return []
    tail = body[body.index(node) + 1:]
    if not tail or not all(isinstance(s, cst.SimpleStatementLine) for s in tail) or \
            not _ends_in_return(cst.IndentedBlock(tail)):
        return []
    first, last = plan.index.positions[tail[0]].start.line, plan.index.positions[tail[-1]].end.line
    if any(first <= other.line <= last for other in plan.index.sites_in(site.symbol)):
        return []  # a decision of its own in the tail: left to the manual-work report
    return tail


def _ends_in_continue(node: cst.If) -> bool:
    """`if p: continue`, or `if p: <statements>; continue` with no `else` (`pooled.append(zero);
    continue`): the rest of the loop body is what `p` skips."""
    if node.orelse is not None or not node.body.body:
        return False
    last = node.body.body[-1]
    if not (isinstance(last, cst.SimpleStatementLine) and isinstance(last.body[-1], cst.Continue)):
        return False
    before = [*node.body.body[:-1], *last.body[:-1]]
    return not any(isinstance(n, (cst.Break, cst.Continue, cst.Return)) for stmt in before for n in nodes_in(stmt))


def _skipped(node: cst.CSTNode) -> cst.If:
    """`if p: ...; continue` as `if p: ...` (its `else` is the rest of the loop body)."""
    assert isinstance(node, cst.If)
    body = list(node.body.body)
    last = body.pop()
    assert isinstance(last, cst.SimpleStatementLine)
    if len(last.body) > 1:
        body.append(last.with_changes(body=last.body[:-1]))
    return node.with_changes(body=cst.IndentedBlock(body or [cst.SimpleStatementLine([cst.Pass()])]))


def _continue_tail(plan: WrapperPlan, site: Site, node: cst.If) -> list[cst.BaseStatement]:
    """For `if p: continue` directly in a loop body: the statements after it in that body (what
    `p` skips), when the only decisions among them are `if` statements; else []."""
    method = plan.index.methods[site.symbol].node
    loop = enclosing_loop(method, node)
    if loop is None:
        return []
    body = list(loop.body.body)
    tail = body[body.index(node) + 1:]
    if not tail:
        return []
    first, last = plan.index.positions[tail[0]].start.line, plan.index.positions[tail[-1]].end.line
    for other in plan.index.sites_in(site.symbol):
        if first <= other.line <= last and not isinstance(_owner(plan, other), cst.If):
            return []  # a conditional expression or loop of its own: left to the manual-work report
    return tail


def pred_name(site: Site) -> str:
    return f"pred_{site.line}"


def _branch_locals(plan: WrapperPlan, site: Site, node: cst.CSTNode,
                   tail: list[cst.BaseStatement]) -> frozenset[str]:
    """Names the branches assign that the method reads nowhere outside the `if` (and the tail
    an early return merges): their merge is never used, and one side may not bind them."""
    method = plan.index.methods[site.symbol].node
    span = plan.index.positions[node]
    end = plan.index.positions[tail[-1]].end if tail else span.end
    whole = dataclasses.replace(span, end=end)
    before, after = split_method(method, whole, plan.index.positions)
    outside = loaded_names(before) | loaded_names(after)
    return frozenset(stored_names([node, *tail]) - outside)
