"""nn.Module classes of a file: bases, methods, and what each `self.<attr>` holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

import libcst as cst

from exportlint.analysis.names import dotted_name, resolve
from exportlint.analysis.values import CONFIG, MODULE, TENSOR, Val
from exportlint.cstwalk import nodes_in
from exportlint.prepass import is_torch_module_base

# Constructor parameters whose annotation names one of these hold an injected submodule.
_MODULE_ANNOTATIONS = ("Module", "nn.Module", "torch.nn.Module")


@dataclass
class Injected:
    """A submodule passed in through the constructor: `self.<attr> = <param>`."""

    attr: str
    param: str
    annotation: str
    node: cst.Param


@dataclass
class ClassInfo:
    """One class of a file and what the analysis knows about it."""

    name: str
    node: cst.ClassDef
    bases: list[str]
    methods: dict[str, cst.FunctionDef] = field(default_factory=dict)
    attrs: dict[str, Val] = field(default_factory=dict)
    injected: dict[str, Injected] = field(default_factory=dict)
    is_module: bool = False


def collect_classes(module: cst.Module, imports: dict[str, str]) -> dict[str, ClassInfo]:
    """Every top-level class with its resolved base names and methods."""
    classes: dict[str, ClassInfo] = {}
    for stmt in module.body:
        if isinstance(stmt, cst.ClassDef):
            bases = [resolve(dotted_name(a.value), imports) or "" for a in stmt.bases]
            info = ClassInfo(stmt.name.value, stmt, bases)
            for item in stmt.body.body:
                if isinstance(item, cst.FunctionDef):
                    info.methods[item.name.value] = item
            classes[info.name] = info
    return classes


def mark_modules(classes: dict[str, ClassInfo], known_modules: frozenset[str]) -> None:
    """Set `is_module` on classes deriving from nn.Module directly, locally, or via `known_modules`."""
    # NOTE: marks spread from the classes with a non-local module base to the classes deriving from
    # them, each class once: repeating passes until nothing changed was quadratic in a chain's length.
    subclasses: dict[str, list[ClassInfo]] = {}
    todo: list[ClassInfo] = []
    for info in classes.values():
        for base in info.bases:
            short = base.rsplit(".", 1)[-1]
            if is_torch_module_base(base) or short == "Module" or base in known_modules or short in known_modules:
                info.is_module = True
            local = classes.get(base) or classes.get(short)
            if local is not None:
                subclasses.setdefault(local.name, []).append(info)
        if info.is_module:
            todo.append(info)
    while todo:
        for sub in subclasses.get(todo.pop().name, ()):
            if not sub.is_module:
                sub.is_module = True
                todo.append(sub)


def method_of(classes: dict[str, ClassInfo], info: ClassInfo, name: str) -> tuple[ClassInfo, cst.FunctionDef] | None:
    """Find a method on a class or its local bases (depth-first, like a simple MRO)."""
    seen: set[str] = set()
    stack = [info]
    while stack:
        cls = stack.pop(0)
        if cls.name in seen:
            continue
        seen.add(cls.name)
        if name in cls.methods:
            return cls, cls.methods[name]
        for base in cls.bases:
            local = classes.get(base) or classes.get(base.rsplit(".", 1)[-1])
            if local is not None:
                stack.append(local)
    return None


Found = tuple[ClassInfo, cst.FunctionDef]


class ClassLookup:
    """`method_of` and `method_names` for the classes of one file, each class's answer kept.

    NOTE: generated files derive classes from one another in chains thousands long; walking the
    chain again for every class was quadratic. A class with a single local base has the answer of
    that base unless it defines the method itself, so each chain is walked once; a class with
    several local bases is searched as `method_of` does.
    """

    def __init__(self, classes: dict[str, ClassInfo]) -> None:
        self.classes = classes
        self._methods: dict[tuple[int, str], Found | None] = {}
        self._names: dict[int, frozenset[str]] = {}

    def method(self, info: ClassInfo, name: str) -> Found | None:
        """What `method_of(classes, info, name)` returns."""
        walked: dict[int, ClassInfo] = {}
        cls = info
        while (id(cls), name) not in self._methods:
            bases = self._bases(cls, full=True)
            if name in cls.methods:
                self._methods[(id(cls), name)] = (cls, cls.methods[name])
            elif id(cls) in walked or not bases:  # a cycle of classes without it, or the top
                self._methods[(id(cls), name)] = None
            elif len(bases) > 1:
                self._methods[(id(cls), name)] = method_of(self.classes, cls, name)
            else:
                walked[id(cls)] = cls
                cls = bases[0]
        found = self._methods[(id(cls), name)]
        for key in walked:
            self._methods[(key, name)] = found
        return found

    def method_names(self, info: ClassInfo) -> frozenset[str]:
        """The methods of a class and of all its local bases (found by their short names)."""
        walked: dict[int, ClassInfo] = {}
        cls = info
        while id(cls) not in self._names:
            bases = self._bases(cls, full=False)
            if id(cls) in walked or len(bases) != 1:
                self._names[id(cls)] = frozenset(_all_methods(self.classes, cls))
            else:
                walked[id(cls)] = cls
                cls = bases[0]
        names = self._names[id(cls)]
        for c in reversed(walked.values()):
            names = names if names.issuperset(c.methods) else names.union(c.methods)
            self._names[id(c)] = names
        return self._names[id(info)]

    def _bases(self, cls: ClassInfo, full: bool) -> list[ClassInfo]:
        """The distinct local bases (`full`: looked up as written first, as `method_of` does)."""
        found: dict[str, ClassInfo] = {}
        for base in cls.bases:
            short = base.rsplit(".", 1)[-1]
            local = (self.classes.get(base) if full else None) or self.classes.get(short)
            if local is not None:
                found.setdefault(local.name, local)
        return list(found.values())


def _all_methods(classes: dict[str, ClassInfo], info: ClassInfo) -> set[str]:
    names: set[str] = set()
    stack, seen = [info], set()
    while stack:
        cls = stack.pop()
        if cls.name in seen:
            continue
        seen.add(cls.name)
        names.update(cls.methods)
        stack.extend(c for b in cls.bases if (c := classes.get(b.rsplit(".", 1)[-1])) is not None)
    return names


def collect_attrs(info: ClassInfo, classes: dict[str, ClassInfo], imports: dict[str, str], known: frozenset[str]) -> None:
    """Fill `attrs` and `injected` from the assignments to `self.<attr>` in every method but forward."""
    for name, fn in info.methods.items():
        if name == "forward":
            continue
        params = _module_params(fn) if name == "__init__" else {}
        collector = _AttrCollector(info, classes, imports, known, params)
        for node in nodes_in(fn.body):
            kind = type(node)
            if kind is cst.Assign:
                collector.visit_Assign(cast(cst.Assign, node))
            elif kind is cst.AnnAssign:
                collector.visit_AnnAssign(cast(cst.AnnAssign, node))
            elif kind is cst.Call:
                collector.visit_Call(cast(cst.Call, node))


def _module_params(fn: cst.FunctionDef) -> dict[str, tuple[str, cst.Param]]:
    found: dict[str, tuple[str, cst.Param]] = {}
    for p in [*fn.params.params, *fn.params.kwonly_params]:
        if p.annotation is None:
            continue
        text = cst.Module([]).code_for_node(p.annotation.annotation)
        if any(text == a or text.endswith(f"[{a}]") or f"{a} |" in text or f"| {a}" in text for a in _MODULE_ANNOTATIONS):
            found[p.name.value] = (text, p)
    return found


class _AttrCollector:
    def __init__(
        self,
        info: ClassInfo,
        classes: dict[str, ClassInfo],
        imports: dict[str, str],
        known: frozenset[str],
        module_params: dict[str, tuple[str, cst.Param]],
    ) -> None:
        self.info, self.classes, self.imports, self.known = info, classes, imports, known
        self.module_params = module_params

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            attr = _self_attr(target.target)
            if attr is not None:
                self._record(attr, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        attr = _self_attr(node.target)
        if attr is not None and node.value is not None:
            self._record(attr, node.value)

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted_name(node.func)
        if name in ("self.register_buffer", "self.register_parameter") and node.args:
            key = node.args[0].value
            if isinstance(key, cst.SimpleString):
                self.info.attrs[key.evaluated_value] = TENSOR  # type: ignore[index]

    def _record(self, attr: str, value: cst.BaseExpression) -> None:
        val = self._value_of(attr, value)
        old = self.info.attrs.get(attr)
        if old is None or old.form.value != "module":
            self.info.attrs[attr] = val

    def _value_of(self, attr: str, value: cst.BaseExpression) -> Val:
        for name in _names_in(value):
            if name in self.module_params:
                text, param = self.module_params[name]
                self.info.injected[attr] = Injected(attr, name, text, param)
                return MODULE
        if isinstance(value, cst.Call):
            func = resolve(dotted_name(value.func), self.imports) or ""
            short = func.rsplit(".", 1)[-1]
            if short in ("Parameter", "Buffer"):
                return TENSOR
            local = self.classes.get(short)
            if is_torch_module_base(func) or (local is not None and local.is_module) or short in self.known:
                return MODULE
            if func.startswith("torch.") and not func.startswith("torch.device"):
                return TENSOR
        return CONFIG


def _self_attr(target: cst.BaseExpression) -> str | None:
    if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
        return target.attr.value
    return None


def _names_in(value: cst.BaseExpression) -> list[str]:
    if isinstance(value, cst.Name):
        return [value.value]
    if isinstance(value, cst.Call):
        return [a.value.value for a in value.args if isinstance(a.value, cst.Name)]
    return []
