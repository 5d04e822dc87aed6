"""FileFacts: the module classes of a file and the dataflow of everything reachable from forward."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange

from exportlint.analysis.classes import (
    ClassInfo,
    ClassLookup,
    collect_attrs,
    collect_classes,
    mark_modules,
)
from exportlint.analysis.dataflow import FunctionFlow
from exportlint.analysis.names import collect_imports, dotted_name
from exportlint.analysis.params import dict_params, is_self, named_params, param_value
from exportlint.analysis.values import CONST, TENSOR, Dep, Form, Val, join
from exportlint.cstwalk import forget_nodes, nodes_in
from exportlint.model import INJECTED_MARK
from exportlint.positions import node_span

# Argument values only rise in their lattice, so a function is analysed again only a few times;
# this bound keeps a pathological file finite without a cap on how many functions a file may have
# (a global budget silently dropped every class after the 400th of a large generated file).
_MAX_VISITS_PER_FUNCTION = 8


@dataclass
class FileFacts:
    """What rules may ask about one file."""

    imports: dict[str, str]
    classes: dict[str, ClassInfo]
    functions: dict[str, cst.FunctionDef]
    flows: list[FunctionFlow] = field(default_factory=list)
    init_flows: list[FunctionFlow] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    # (caller symbol, import path of the callee) for calls that leave this file, e.g.
    # ("Layer.forward", ".utils.rotate"): the engine follows them through the package call graph.
    external_calls: set[tuple[str, str]] = field(default_factory=set)
    # The symbols analysis started from: each module class's forward, the public methods of a
    # class whose forward only raises (or that has none), and the configured entry points.
    entries: list[str] = field(default_factory=list)
    # (caller symbol, import path of a class's forward) for `self.x(...)` where `__init__` sets
    # `self.x = ImportedClass(...)`: named entry points follow these; the analysis does not.
    links: set[tuple[str, str]] = field(default_factory=set)
    # function -> attribute -> the values `self.<attribute> = ...` assigns in it (see `_self_assigns`)
    self_assignments: dict[cst.FunctionDef, dict[str, list[cst.BaseExpression]]] = field(default_factory=dict,
                                                                                        repr=False)
    # function -> its `for v in self.attr` loop variables (see `_loop_members`)
    loop_members: dict[cst.FunctionDef, dict[str, str]] = field(default_factory=dict, repr=False)
    module: cst.Module | None = field(default=None, repr=False)
    # The engine passes the source file's position lookup, so positions are resolved once.
    position_of: Callable[[cst.CSTNode, cst.CSTNode | None], CodeRange] | None = field(default=None, repr=False)
    # The file's text, when the engine has it: cheap prefilters for rules ("" when unknown).
    text: str = field(default="", repr=False)

    @property
    def module_classes(self) -> list[ClassInfo]:
        return [c for c in self.classes.values() if c.is_module]

    def line_of(self, node: cst.CSTNode, root: cst.CSTNode | None = None) -> int:
        """The 1-based line where `node` starts, for messages that point at a second place
        (0 when unknown; `root`: a function or class holding it). Positions are resolved on first use only."""
        if self.position_of is not None:
            try:
                return self.position_of(node, root).start.line
            except KeyError:
                return 0
        if self.module is None:
            return 0
        try:
            return node_span(self.module, node)[0]
        except KeyError:
            return 0


def build_facts(
    module: cst.Module, known_modules: frozenset[str] = frozenset(), roots: frozenset[str] = frozenset(),
    entry_points: tuple[str, ...] = (),
) -> FileFacts:
    """Analyse one parsed file.

    Args:
        module: the parsed file (the tree rules will visit).
        known_modules: class names defined elsewhere in the scanned tree that are nn.Modules.
        roots: module-level functions of this file that forward code in other files calls.
        entry_points: configured `Class.method` names (optionally module-qualified) that are
            analysed as entries too, when a module class of this file has that name.
    """
    forget_nodes()
    imports = collect_imports(module)
    classes = collect_classes(module, imports)
    mark_modules(classes, known_modules)
    functions = {s.name.value: s for s in module.body if isinstance(s, cst.FunctionDef)}
    facts = FileFacts(imports, classes, functions, module=module)
    for info in facts.module_classes:
        collect_attrs(info, classes, imports, known_modules)
    _Reach(facts).run(roots, _named_methods(entry_points))
    return facts


def _named_methods(entry_points: tuple[str, ...]) -> dict[str, set[str]]:
    """Class name -> method names, from `Class.method`, `pkg.mod.Class.method` or `pkg.mod:Class.method`."""
    named: dict[str, set[str]] = {}
    for name in entry_points:
        parts = name.replace(":", ".").split(".")
        if len(parts) >= 2:
            named.setdefault(parts[-2], set()).add(parts[-1])
    return named


@dataclass
class _Callee:
    fn: cst.FunctionDef
    owner: ClassInfo | None  # the class whose attributes `self` has
    defined_in: str | None  # the class that defines the method (for the symbol)


class _Reach:
    """Worklist over functions reachable from each module class's forward, binding argument values."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.params: dict[cst.FunctionDef, dict[str, Val]] = {}
        self.flows: dict[cst.FunctionDef, FunctionFlow] = {}
        self.callees: dict[cst.FunctionDef, _Callee] = {}
        self.bound: dict[cst.FunctionDef, set[str]] = {}
        self.lookup = ClassLookup(facts.classes)

    def run(self, roots: frozenset[str] = frozenset(), named: dict[str, set[str]] | None = None) -> None:
        queue: list[_Callee] = [self._callee(self.facts.functions[r], None, None) for r in sorted(roots)
                                if r in self.facts.functions]
        entries = self.facts.entries
        for info in self.facts.module_classes:
            found = self.lookup.method(info, "forward")
            if found is not None and found[1] not in self.callees:
                queue.append(self._callee(found[1], info, found[0].name))
                if not _abstract(found[1]):  # a forward that only raises is nobody's export target
                    entries.append(_symbol(queue[-1]))
            if (found is not None and _abstract(found[1])) or (found is None and self._forwardless(info)):
                # NOTE: forward only raises (SAM3's tracker: "use the predictor's methods"), so the
                # model runs through its other public methods: each one is an entry point. So does a
                # module class with no forward at all (a memory bank whose `read` a model calls).
                public = [self._callee(fn, info, info.name) for name, fn in sorted(info.methods.items())
                          if not name.startswith("_") and name != "forward" and fn not in self.callees]
                queue.extend(public)
                entries.extend(_symbol(c) for c in public if not _is_property(c.fn))
            for name in sorted((named or {}).get(info.name, ())):
                method = self.lookup.method(info, name)
                if method is not None:
                    # a configured entry point is named after the class it is asked on
                    if method[1] not in self.callees:
                        queue.append(self._callee(method[1], info, method[0].name))
                    entries.append(f"{info.name}.{name}")
            init = info.methods.get("__init__")
            if init is not None:
                self.facts.init_flows.append(self._flow(_Callee(init, info, info.name)))
        visits: dict[cst.FunctionDef, int] = {}
        todo = deque(queue)
        while todo:
            callee = todo.popleft()
            visits[callee.fn] = visits.get(callee.fn, 0) + 1
            if visits[callee.fn] > _MAX_VISITS_PER_FUNCTION:
                continue
            flow = self._flow(callee)
            self.flows[callee.fn] = flow
            todo.extend(self._calls_from(flow, callee))
        self._with_return_values()
        self.facts.flows = list(self.flows.values())

    def _forwardless(self, info: ClassInfo, seen: frozenset[str] = frozenset()) -> bool:
        """Whether no class in `info`'s bases can define forward: each base is nn.Module itself or
        a local class that is forwardless too (a base from another file may define it)."""
        for base in info.bases:
            local = self.lookup.classes.get(base) or self.lookup.classes.get(base.rsplit(".", 1)[-1])
            if local is not None and local.name not in seen:
                if "forward" in local.methods or not self._forwardless(local, seen | {info.name}):
                    return False
            elif base not in _PLAIN_MODULE:
                return False
        return True

    def _with_return_values(self) -> None:
        """Analyse each method again knowing what self's other methods return (one round)."""
        returns: dict[str, Val] = {}
        for fn, flow in self.flows.items():
            if self.callees[fn].owner is not None:
                name = fn.name.value
                returns[name] = join(returns[name], flow.return_value()) if name in returns else flow.return_value()
        if not returns:
            return
        for fn, flow in list(self.flows.items()):
            callee = self.callees[fn]
            if callee.owner is None:
                continue
            if flow.called_methods.isdisjoint(returns):
                # Nothing evaluated so far called one of self's methods: the values stay right,
                # and expressions evaluated later (by rules) see the return values.
                flow.returns = returns
            else:
                self.flows[fn] = self._flow(callee, returns)

    def _callee(self, fn: cst.FunctionDef, owner: ClassInfo | None, defined_in: str | None) -> _Callee:
        callee = self.callees.get(fn)
        if callee is None:
            callee = _Callee(fn, owner, defined_in)
            self.callees[fn] = callee
            self.params[fn] = _default_params(fn)
        return callee

    def _flow(self, c: _Callee, returns: dict[str, Val] | None = None) -> FunctionFlow:
        attrs = c.owner.attrs if c.owner else {}
        methods = self.lookup.method_names(c.owner) if c.owner else frozenset()
        params = self.params.get(c.fn) or _default_params(c.fn)
        return FunctionFlow(c.fn, c.defined_in, attrs, methods, self.facts.imports, params, returns)

    def _calls_from(self, flow: FunctionFlow, caller: _Callee) -> list[_Callee]:
        todo: list[_Callee] = []
        for call, targets in _call_sites(flow, caller, self.facts, self.lookup):
            for target_fn, owner, defined_in, bound in targets:
                callee = self._callee(target_fn, owner, defined_in)
                self.facts.edges.append((flow.symbol, _symbol(callee)))
                changed = self._bind_args(flow, call, callee, bound)
                if changed or target_fn not in self.flows:
                    todo.append(callee)
        for name in _self_refs(caller.fn):
            found = self.lookup.method(caller.owner, name) if caller.owner else None
            if found is not None:
                # a method passed on or stored (`fn = self._step`): reached from here too
                self.facts.edges.append((flow.symbol, f"{found[0].name}.{name}"))
                if found[1] not in self.callees:
                    todo.append(self._callee(found[1], caller.owner, found[0].name))
        return todo

    def _bind_args(self, flow: FunctionFlow, call: cst.Call | None, callee: _Callee, bound: bool) -> bool:
        if call is None:
            return False
        params = [p for p in callee.fn.params.params]
        if bound and params and is_self(params[0]):
            params = params[1:]
        by_name = {p.name.value: p for p in [*params, *callee.fn.params.kwonly_params]}
        current = self.params[callee.fn]
        bound_names = self.bound.setdefault(callee.fn, set())
        changed = False
        positional = [a for a in call.args if a.keyword is None and not a.star]
        for param, arg in zip(params, positional):
            changed |= _merge(current, bound_names, param.name.value, flow.value(arg.value))
        passed = {p.name.value for p, _ in zip(params, positional)}
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in by_name:
                passed.add(arg.keyword.value)
                changed |= _merge(current, bound_names, arg.keyword.value, flow.value(arg.value))
        if not any(a.star for a in call.args):
            # A parameter the call leaves out takes its default: a constant for this caller
            # (`self.forward_head(x)` exports `pre_logits=False`, as configuration does).
            for name, param in by_name.items():
                if name not in passed and _literal_default(param.default):
                    changed |= _merge(current, bound_names, name, CONST)
        return changed


def _literal_default(default: cst.BaseExpression | None) -> bool:
    """A default that is a plain Python constant (not None: `x is None` tests are their own case)."""
    if isinstance(default, cst.Name):
        return default.value in ("True", "False")
    if isinstance(default, cst.UnaryOperation):
        default = default.expression
    return isinstance(default, (cst.Integer, cst.Float, cst.SimpleString))


def _merge(current: dict[str, Val], bound: set[str], name: str, val: Val) -> bool:
    """The first caller's value replaces the guess from the signature; later callers join in."""
    old = current.get(name)
    new = join(old, val) if name in bound and old is not None else val
    bound.add(name)
    if new != old:
        current[name] = new
        return True
    return False


def _default_params(fn: cst.FunctionDef) -> dict[str, Val]:
    params = fn.params
    vals = {p.name.value: param_value(p) for p in named_params(fn) if not is_self(p)}
    # NOTE: an unannotated parameter is guessed to be a tensor; one the body indexes by a string
    # (`batch["image"]`) or asks for `.items()` is a runtime dict, whose keys are Python structure.
    guessed = {p.name.value for p in named_params(fn) if p.annotation is None and vals.get(p.name.value) == TENSOR}
    for name in dict_params(fn, guessed):
        vals[name] = Val(Form.DICT, Dep.LAYOUT)
    if isinstance(params.star_arg, cst.Param):
        vals[params.star_arg.name.value] = param_value(params.star_arg, "*")
    if params.star_kwarg is not None:
        vals[params.star_kwarg.name.value] = param_value(params.star_kwarg, "**")
    return vals


def _symbol(c: _Callee) -> str:
    return f"{c.defined_in}.{c.fn.name.value}" if c.defined_in else c.fn.name.value


_Target = tuple[cst.FunctionDef, ClassInfo | None, str | None, bool]


def _call_sites(
    flow: FunctionFlow, caller: _Callee, facts: FileFacts, lookup: ClassLookup
) -> list[tuple[cst.Call | None, list[_Target]]]:
    sites: list[tuple[cst.Call | None, list[_Target]]] = []
    for call in _calls_in(caller.fn):
        targets: list[_Target] = []
        func = call.func
        name = dotted_name(func)
        if name and name.startswith("self.") and name.count(".") == 1 and caller.owner is not None:
            found = lookup.method(caller.owner, name[5:])
            built = None if found is not None else _submodule_class(lookup, facts, caller.owner, name[5:])
            if found is not None:
                targets.append((found[1], caller.owner, found[0].name, True))
            elif built is not None:
                # `self.head(x, pre_logits=...)` on a submodule of a class of this file: its forward
                # sees this call's arguments.
                targets.append((built[1], built[2], built[0].name, True))
            else:
                stored = _stored_function(lookup, caller.owner, name[5:])
                if stored is not None and stored[0] in facts.functions:
                    # Arguments are bound only when the partial pre-binds none by position.
                    targets.append((facts.functions[stored[0]], None, None, False))
                    if not stored[1]:
                        call = None
                elif stored is not None and stored[0] in facts.imports:
                    facts.external_calls.add((flow.symbol, facts.imports[stored[0]]))
                else:
                    imported = _imported_submodule(lookup, facts, caller.owner, name[5:])
                    param = _injected_param(lookup, facts, caller.owner, name[5:]) if imported is None else None
                    if imported is not None:
                        facts.links.add((flow.symbol, f"{imported}.forward"))
                    elif param is not None:
                        facts.links.add((flow.symbol, f"{INJECTED_MARK}{param}"))
        elif name and name.startswith("self.") and name.count(".") == 2 and caller.owner is not None:
            # `self.transformer.encoder(...)`: a method or submodule of a module passed in
            attr, _, member = name[5:].partition(".")
            param = _injected_param(lookup, facts, caller.owner, attr)
            if param is not None:
                facts.links.add((flow.symbol, f"{INJECTED_MARK}{param}.{member}"))
        elif isinstance(func, cst.Call) and caller.owner is not None and func.args \
                and isinstance(func.args[0].value, cst.Name) and func.args[0].value.value in _loops(facts, caller.fn):
            # `activation_ckpt_wrapper(layer)(x)`, `checkpoint_wrapper(layer)(x)`: the layer runs
            attr = _loops(facts, caller.fn)[func.args[0].value.value]
            facts.links.update((flow.symbol, t) for t in _held_modules(lookup, facts, caller.owner, attr))
        elif isinstance(func, cst.Name):
            if caller.owner is not None and func.value in _loops(facts, caller.fn):
                # `for layer in self.layers: x = layer(x)`: the modules the list was built from
                for target in _held_modules(lookup, facts, caller.owner, _loops(facts, caller.fn)[func.value]):
                    facts.links.add((flow.symbol, target))
            for meth in sorted(flow.method_refs.get(func.value, ())):
                found = lookup.method(caller.owner, meth) if caller.owner else None
                if found is not None:
                    targets.append((found[1], caller.owner, found[0].name, True))
            if func.value in facts.functions:
                targets.append((facts.functions[func.value], None, None, False))
            elif func.value in facts.imports:
                facts.external_calls.add((flow.symbol, facts.imports[func.value]))
        elif name and "." in name and name.split(".")[0] in facts.imports and not name.startswith("self."):
            facts.external_calls.add((flow.symbol, f"{facts.imports[name.split('.')[0]]}.{name.split('.', 1)[1]}"))
        if targets:
            sites.append((call, targets))
    return sites


def _submodule_class(lookup: ClassLookup, facts: FileFacts, owner: ClassInfo, attr: str
                     ) -> tuple[ClassInfo, cst.FunctionDef, ClassInfo] | None:
    """The defining class and forward of `self.<attr>` when `__init__` sets it once, to an
    instance of a module class of this file (`self.head = Head(...)`), and that instance's class."""
    init = lookup.method(owner, "__init__")
    if init is None:
        return None
    built = _self_assigns(facts, init[1]).get(attr, [])
    if len(built) != 1 or not isinstance(built[0], cst.Call) or not isinstance(built[0].func, cst.Name):
        return None
    info = facts.classes.get(built[0].func.value)
    if info is None or not info.is_module or info is owner:
        return None
    found = lookup.method(info, "forward")
    return (found[0], found[1], info) if found is not None and not _abstract(found[1]) else None


def _self_assigns(facts: FileFacts, fn: cst.FunctionDef) -> dict[str, list[cst.BaseExpression]]:
    """Attribute -> the values `self.<attribute> = ...` assigns in `fn`, in order (once per function)."""
    assigned = facts.self_assignments.get(fn)
    if assigned is None:
        assigned = facts.self_assignments[fn] = {}
        for n in nodes_in(fn.body):
            if type(n) is cst.Assign and len(n.targets) == 1:
                target = dotted_name(n.targets[0].target) or ""
                if target.startswith("self.") and target.count(".") == 1:
                    assigned.setdefault(target[5:], []).append(n.value)
    return assigned


def _assigned(facts: FileFacts, lookup: ClassLookup, owner: ClassInfo, attr: str) -> list[cst.BaseExpression]:
    """The values `self.<attr> = ...` assigns in `__init__` (the class's or a base's) and the class's methods."""
    init = lookup.method(owner, "__init__")
    methods = [fn for fn in owner.methods.values() if init is None or fn is not init[1]]
    return [v for fn in ([init[1], *methods] if init is not None else methods)
            for v in _self_assigns(facts, fn).get(attr, [])]


def _imported_submodule(lookup: ClassLookup, facts: FileFacts, owner: ClassInfo, attr: str) -> str | None:
    """The import path of `self.<attr>`'s class when the class sets it once, to an instance of a
    class imported from elsewhere (`self.attn = RoPEAttention(...)`, `= layers.Mlp(...)`), in
    `__init__` or a method it calls (SAM3's `_build_sam_heads` builds the mask decoder)."""
    built = _assigned(facts, lookup, owner, attr)
    if len(built) != 1 or not isinstance(built[0], cst.Call):
        return None
    name = dotted_name(built[0].func) or ""
    head, _, rest = name.partition(".")
    if not head or head not in facts.imports or head in facts.classes or not name.rsplit(".", 1)[-1][:1].isupper():
        return None  # a factory function (`get_activation_fn(...)`) is not a class
    return f"{facts.imports[head]}.{rest}" if rest else facts.imports[head]


def _injected_param(lookup: ClassLookup, facts: FileFacts, owner: ClassInfo, attr: str) -> str | None:
    """`Class:param` for the `__init__` parameter `self.<attr>` holds when an `__init__` of the
    class or of a base in this file stores it as passed in (`self.transformer = transformer`;
    Class defines that `__init__`): the class a builder passes decides what it calls."""
    for cls in _local_chain(lookup, owner):
        init = cls.methods.get("__init__")
        if init is None:
            continue
        built = _self_assigns(facts, init).get(attr, [])
        if built:
            params = {p.name.value for p in named_params(init)}
            ok = len(built) == 1 and isinstance(built[0], cst.Name) and built[0].value in params
            return f"{cls.name}:{built[0].value}" if ok else None  # type: ignore[union-attr]
    return None


def _local_chain(lookup: ClassLookup, info: ClassInfo) -> list[ClassInfo]:
    """`info` and its bases defined in this file, nearest first."""
    chain, todo = [], [info]
    while todo and len(chain) < _MAX_CHAIN:
        cls = todo.pop(0)
        if any(c is cls for c in chain):
            continue
        chain.append(cls)
        todo += [b for b in (lookup.classes.get(base) or lookup.classes.get(base.rsplit(".", 1)[-1])
                             for base in cls.bases) if b is not None]
    return chain


_MAX_CHAIN = 8


def _loops(facts: FileFacts, fn: cst.FunctionDef) -> dict[str, str]:
    found = facts.loop_members.get(fn)
    if found is None:
        found = facts.loop_members[fn] = _loop_members(fn)
    return found


def _loop_members(fn: cst.FunctionDef) -> dict[str, str]:
    """Loop variable -> attribute, for `for v in self.attr:` and `for i, v in enumerate(self.attr):`."""
    found: dict[str, str] = {}
    for node in nodes_in(fn.body):
        if type(node) is not cst.For:
            continue
        target, source = node.target, node.iter
        if isinstance(source, cst.Call) and dotted_name(source.func) == "enumerate" and source.args \
                and isinstance(target, cst.Tuple) and len(target.elements) == 2:
            source, target = source.args[0].value, target.elements[1].value
        attr = dotted_name(source) or ""
        if isinstance(target, cst.Name) and attr.startswith("self.") and attr.count(".") == 1:
            found[target.value] = attr[5:]
    return found


def _held_modules(lookup: ClassLookup, facts: FileFacts, owner: ClassInfo, attr: str) -> list[str]:
    """Link targets for the modules of a list `self.<attr>` built once from constructor parameters
    (`get_clones(layer, n)`, `nn.ModuleList([layer ...])`) or imported classes."""
    init = lookup.method(owner, "__init__")
    built = _assigned(facts, lookup, owner, attr)
    if init is None or len(built) != 1 or not isinstance(built[0], cst.Call):
        return []
    params = {p.name.value for p in named_params(init[1])}
    targets: list[str] = []
    for node in nodes_in(built[0]):
        if type(node) is cst.Name and node.value in params:
            targets.append(f"{INJECTED_MARK}{init[0].name}:{node.value}")
        elif type(node) is cst.Call and isinstance(node.func, cst.Name) and node.func.value in facts.imports \
                and node.func.value not in facts.classes and node.func.value[:1].isupper():
            targets.append(f"{facts.imports[node.func.value]}.forward")
    return list(dict.fromkeys(targets))[:_MAX_HELD]


_MAX_HELD = 4


def _stored_function(lookup: ClassLookup, owner: ClassInfo, attr: str) -> tuple[str, bool] | None:
    found = lookup.method(owner, "__init__")
    return stored_function(found[1], attr) if found is not None else None


def stored_function(init: cst.FunctionDef, attr: str) -> tuple[str, bool] | None:
    """`f` and whether arguments bind as usual, for `self.<attr> = f` or `= partial(f, k=...)`
    in `init` (SAM3's `self.compute_cis = partial(compute_axial_cis, dim=..., theta=...)`)."""
    for node in nodes_in(init.body):
        if type(node) is not cst.Assign or len(node.targets) != 1:
            continue
        if dotted_name(node.targets[0].target) != f"self.{attr}":
            continue
        value, plain = node.value, True
        if type(value) is cst.Call and (dotted_name(value.func) or "").split(".")[-1] == "partial" \
                and value.args and value.args[0].keyword is None:
            plain = all(a.keyword is not None for a in value.args[1:])
            value = value.args[0].value
        if type(value) is cst.Name:
            return value.value, plain
    return None


def _calls_in(fn: cst.FunctionDef) -> list[cst.Call]:
    return [n for n in nodes_in(fn.body) if type(n) is cst.Call]


def _self_refs(fn: cst.FunctionDef) -> list[str]:
    """The `self.<name>` names of a body, in source order (so the order flows are found never varies)."""
    return list(dict.fromkeys(n.attr.value for n in nodes_in(fn.body)
                              if type(n) is cst.Attribute and type(n.value) is cst.Name and n.value.value == "self"))


_PLAIN_MODULE = frozenset({"torch.nn.Module", "torch.nn.modules.module.Module", "nn.Module"})


def _is_property(fn: cst.FunctionDef) -> bool:
    """`@property` (or `@x.setter`, `@cached_property`): read as an attribute, never an export target."""
    for d in fn.decorators:
        name = dotted_name(d.decorator) or ""
        if name.split(".")[-1] in ("property", "cached_property", "setter", "getter", "deleter"):
            return True
    return False


def _abstract(fn: cst.FunctionDef) -> bool:
    """Whether a method's body (past its docstring) is only `raise NotImplementedError(...)`."""
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    if body and isinstance(body[0], cst.SimpleStatementLine) and isinstance(body[0].body[0], cst.Expr) \
            and isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], cst.SimpleStatementLine):
        return False
    statement = body[0].body[0]
    if not isinstance(statement, cst.Raise) or statement.exc is None:
        return False
    exc = statement.exc.func if isinstance(statement.exc, cst.Call) else statement.exc
    return isinstance(exc, cst.Name) and exc.value == "NotImplementedError"
