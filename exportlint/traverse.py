"""Run every rule over a file in one read-only walk of each reachable function.

Rules only read, so they share `cstwalk.walk` (libcst's hooks, in libcst's order, without
rebuilding nodes) and `RuleFanout` feeds each node to every rule in one walk. A rule that raises
is dropped from the walk and reported; the others go on.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from exportlint.analysis import FileFacts
from exportlint.cstwalk import walk
from exportlint.rules.base import Rule

_FIELD_HOOKS: dict[type[cst.CSTVisitor], bool] = {}


def _overrides(visitor: cst.CSTVisitor, name: str) -> bool:
    """Whether the visitor's class defines `name` itself (libcst's CSTVisitor has a no-op for every hook)."""
    method = getattr(type(visitor), name, None)
    return method is not None and method is not getattr(cst.CSTVisitor, name, None)


def has_field_hooks(visitor: cst.CSTVisitor) -> bool:
    """Whether a visitor defines `visit_<Node>_<field>` / `leave_<Node>_<field>` hooks of its own."""
    kind = type(visitor)
    found = _FIELD_HOOKS.get(kind)
    if found is None:
        names = ("on_visit_attribute", "on_leave_attribute",
                 *(n for n in dir(kind) if n.count("_") >= 2 and n.startswith(("visit_", "leave_"))))
        found = _FIELD_HOOKS[kind] = any(_overrides(visitor, n) for n in names)
    return found


class RuleFanout(cst.CSTVisitor):
    """One visitor that forwards every hook to several rules, each with libcst's semantics.

    Each node goes only to the rules that define a hook for its type (or override the generic
    `on_visit` / `on_leave`). A rule whose hook returns False skips that subtree alone; a rule
    that raises is removed and its exception kept in `failed`.
    """

    def __init__(self, rules: Sequence[cst.CSTVisitor]) -> None:
        self.rules = list(rules)
        self.failed: dict[cst.CSTVisitor, Exception] = {}
        self._skipping: dict[cst.CSTVisitor, cst.CSTNode] = {}
        self._hooks: dict[tuple[str, str], list[tuple[cst.CSTVisitor, str]]] = {}

    def call(self, rule: cst.CSTVisitor, hook: str, *args: object) -> object:
        """`rule.<hook>(*args)`; if it raises, the rule leaves the walk."""
        try:
            return getattr(rule, hook)(*args)
        except Exception as e:  # noqa: BLE001 - one rule's bug must not stop the others
            self.failed[rule] = e
            self.rules.remove(rule)
            self._skipping.pop(rule, None)
            return None

    def _targets(self, kind: str, specific: str) -> list[tuple[cst.CSTVisitor, str]]:
        """(rule, hook) for the rules that handle `specific` (e.g. visit_If) or all of `kind`."""
        found = self._hooks.get((kind, specific))
        if found is None:
            found = self._hooks[(kind, specific)] = [
                (rule, kind if _overrides(rule, kind) else specific)
                for rule in self.rules
                if _overrides(rule, kind) or _overrides(rule, specific)
            ]
        return [(rule, hook) for rule, hook in found if rule not in self.failed]

    def on_visit(self, node: cst.CSTNode) -> bool:
        for rule, hook in self._targets("on_visit", f"visit_{type(node).__name__}"):
            if rule not in self._skipping and self.call(rule, hook, node) is False:
                self._skipping[rule] = node
        return len(self._skipping) < len(self.rules)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        for rule in [r for r, n in self._skipping.items() if n is original_node]:
            del self._skipping[rule]
        for rule, hook in self._targets("on_leave", f"leave_{type(original_node).__name__}"):
            if rule not in self._skipping:
                self.call(rule, hook, original_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        name = f"visit_{type(node).__name__}_{attribute}"
        for rule, hook in self._targets("on_visit_attribute", name):
            if rule not in self._skipping:
                self.call(rule, hook, *((node, attribute) if hook == "on_visit_attribute" else (node,)))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        name = f"leave_{type(original_node).__name__}_{attribute}"
        for rule, hook in self._targets("on_leave_attribute", name):
            if rule not in self._skipping:
                self.call(rule, hook, *((original_node, attribute) if hook == "on_leave_attribute" else (original_node,)))


def run_rules(rules: Sequence[Rule], facts: FileFacts) -> dict[Rule, Exception]:
    """Each rule's class checks, then one walk per reachable function for all rules of its scope.

    Returns:
        The rules that raised, with what they raised (their findings are not to be used).
    """
    failed: dict[Rule, Exception] = {}
    for rule in rules:
        try:
            for info in facts.module_classes:
                rule.root = info.node
                rule.check_class(info)
        except Exception as e:  # noqa: BLE001 - one rule's bug must not stop the others
            failed[rule] = e
    for scope, flows in (("forward", facts.flows), ("init", facts.init_flows)):
        fanout = RuleFanout([r for r in rules if scope in r.scopes and r not in failed])
        hooks = any(has_field_hooks(r) for r in fanout.rules)
        for flow in flows:
            for member in tuple(fanout.rules):
                fanout.call(member, "enter_function", flow, scope)
            if fanout.rules:
                walk(flow.fn, fanout, hooks)
        failed.update((r, e) for r, e in fanout.failed.items() if isinstance(r, Rule))
    return failed
