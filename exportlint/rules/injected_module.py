"""injected-module: a submodule passed in through the constructor and called in the forward path."""

from __future__ import annotations

import libcst as cst

from exportlint.analysis import FileFacts
from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.names import dotted_name
from exportlint.analysis.params import call_argument, is_self
from exportlint.cstwalk import nodes_in
from exportlint.injected import NO_LOCAL_SITE
from exportlint.model import Outcomes
from exportlint.rules.base import Invalid, Rule, Valid

_MAX_FACTORY_DEPTH = 2


class InjectedModule(Rule):
    """## What it does
    Checks for submodules a class receives through its constructor (`cross_attention: nn.Module`
    stored as `self.cross_attn`, or any constructor argument stored on `self` and called like a
    module) that its forward path calls. When the file shows which classes are passed in
    (`Layer(cross_attention=MyAttention(...))`, directly, through a local variable or a factory
    function of the file), the finding names them.

    When the file shows none, the other scanned files are searched (SAM3 builds its layers in
    `model_builder.py`): a construction of the class or of a subclass passing the parameter on
    (`**kwargs` included), with the argument a constructor call, a local variable, a factory
    function of that file, a dict splatted into the call, or a parameter of a function of that
    file bound by its calls. The finding then names each class, its file, and the errors and
    warnings the scan found on the code it reaches (its methods and the functions of other files
    they call); with a rule selection (`select`, `ignore`, `per-file-ignores`) the counts are left
    out, since hidden rules would make them wrong.

    ## Why is this bad?
    It is not bad in itself: the class is only known at run time, so its code cannot be checked
    from here, and whether the layer exports depends on what is passed in. A hand-written
    attention made of standard ops (linear, matmul, softmax, masked_fill) exports under both the
    dynamo exporter (`torch.onnx.export(dynamo=True)`) and the legacy tracer (`dynamo=False`):
    measured with torch 2.13, the `PromptCrossAttention` injected in
    `examples/sam3_like/encoder.py` exports and matches onnxruntime on other inputs with both.
    Info: check the classes named in the message, which are analysed as nn.Modules on their own.

    ## Example
        class Layer(nn.Module):
            def __init__(self, cross_attention: nn.Module):
                super().__init__()
                self.cross_attn = cross_attention
    Use instead:
        class Layer(nn.Module):
            def __init__(self, d_model: int, num_heads: int):
                super().__init__()
                self.cross_attn = PromptCrossAttention(d_model, num_heads)

    ## Known problems
    A file scanned on its own has no other files to search. Classes chosen at run time (from a
    registry or a config string) are not named.
    """

    code = "EXL304"
    name = "injected-module"
    summary = "Submodule passed in through the constructor: its code is checked where it is defined"
    probe_hint = "make sure the injected module exports on its own"
    hint = ("Nothing to do if the classes passed in export; scan their files too, or probe the composed "
            "model with `exportlint probe`.")
    VALID = [
        Valid(
            "from torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self, dim: int):\n        super().__init__()\n        self.lin = nn.Linear(dim, dim)\n\n"
            "    def forward(self, x):\n        return self.lin(x)\n"
        ),
        Valid(
            "from torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self, act: nn.Module):\n        super().__init__()\n        self.act = act\n\n"
            "    def forward(self, x):\n        return x\n"
        ),
    ]
    INVALID = [
        Invalid(
            "from torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self, attn: nn.Module):\n        super().__init__()\n        self.attn = attn\n\n"
            "    def forward(self, x):\n        return self.attn(x)\n",
            line=5,
            severity="info", column=23,
            message="`attn` is passed in through the constructor and called in",
        ),
        Invalid(
            "from torch import nn\n\n\nclass M(nn.Module):\n"
            "    def __init__(self, block):\n        super().__init__()\n        self.block = block\n\n"
            "    def forward(self, x):\n        return self.block(x) + x\n",
            line=5,
            severity="info", column=23,
            message="`block` is passed in through the constructor and called in",
        ),
    ]

    def __init__(self, facts: FileFacts) -> None:
        super().__init__(facts)
        # NOTE: built on first use, once per file: searching every function of the file again for
        # each class that takes a module was quadratic in the size of generated files.
        self._sites: dict[str, list[_Site]] | None = None
        self._called: dict[str | None, dict[str, str]] | None = None
        self._local: set[str] | None = None

    def check_class(self, info: ClassInfo) -> None:
        init = info.methods.get("__init__")
        if init is None:
            return
        injected = _injected(info, init)
        called = self._called_attrs(info) if injected else {}
        for attr, param in injected.items():
            call = called.get(attr)
            if call is None:
                continue
            passed = _passed_classes(self._construction_sites(info.name), self.facts.functions, init, param.name.value)
            if self._local is None:
                self._local = {n for n, c in self.facts.classes.items() if c.is_module}
            self.report(param, _message(attr, param.name.value, call, passed, self._local), Outcomes.same("ok"),
                        symbol=f"{info.name}.__init__", root=init)

    def _called_attrs(self, info: ClassInfo) -> dict[str, str]:
        """attr -> `Class.method` of the first forward-path call of `self.<attr>(...)` or `self.<attr>.m(...)`."""
        if self._called is None:
            self._called = {}
            for flow in self.facts.flows:
                called = self._called.setdefault(flow.owner, {})
                for call in _calls(flow.fn):
                    name = dotted_name(call.func) or ""
                    if name.startswith("self."):
                        called.setdefault(name.split(".")[1], flow.symbol)
        return self._called.get(info.name, {})

    def _construction_sites(self, owner: str) -> list[_Site]:
        """(where, function, call) for each call of the file to a callee named `owner`, in source order."""
        if self._sites is None:
            self._sites = {}
            scopes = [(fn.name.value, fn) for fn in self.facts.functions.values()]
            scopes += [(f"{c.name}.{m.name.value}", m) for c in self.facts.classes.values() for m in c.methods.values()]
            for site, fn in scopes:
                for call in _calls(fn):
                    callee = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
                    self._sites.setdefault(callee, []).append((site, fn, call))
        return self._sites.get(owner, [])


_Site = tuple[str, cst.FunctionDef, cst.Call]


def _injected(info: ClassInfo, init: cst.FunctionDef) -> dict[str, cst.Param]:
    """Attributes set straight from a constructor parameter: `self.<attr> = <param>`.

    A parameter only passed on to a local constructor (`self.mlp = MLP(dim, act_layer)`) is not an
    injected submodule: `self.mlp` is built here.
    """
    params = {p.name.value: p for p in [*init.params.params, *init.params.kwonly_params] if not is_self(p)}
    found: dict[str, cst.Param] = {}
    for stmt in _statement_assignments(init.body):
        value = stmt.value
        if not isinstance(value, cst.Name) or value.value not in params:
            continue
        for target in stmt.targets:
            t = target.target
            if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
                found.setdefault(t.attr.value, params[value.value])
    return found


def _message(attr: str, param: str, where: str, passed: list[tuple[str, str]], local: set[str]) -> str:
    base = (f"`{param}` is passed in through the constructor and called in the forward path as `self.{attr}` "
            f"({where}): its code cannot be checked from this class; whether the layer exports depends on the "
            "class passed in")
    if not passed:
        return base + NO_LOCAL_SITE
    names = ", ".join(f"{cls} (in {site}, {'checked in this file' if cls in local else 'scan its file'})"
                      for cls, site in passed)
    return base + f". In this file it receives {names}"


def _passed_classes(sites: list[_Site], functions: dict[str, cst.FunctionDef], init: cst.FunctionDef,
                    param: str) -> list[tuple[str, str]]:
    """(class name, where) for each class the file passes as `param` at `sites`, the calls constructing the owner."""
    positional = [p.name.value for p in init.params.params if not is_self(p)]
    index = positional.index(param) if param in positional else -1
    found: list[tuple[str, str]] = []
    for site, fn, call in sites:
        arg = call_argument(call, param, index)
        if arg is not None:
            for name in _constructed(arg, fn, functions, 0):
                if (name, site) not in found:
                    found.append((name, site))
    return found


def _constructed(expr: cst.BaseExpression, scope: cst.FunctionDef, functions: dict[str, cst.FunctionDef],
                 depth: int) -> list[str]:
    """Class names an expression constructs: `Cls(...)`, a local variable set to one, or a factory's return."""
    if isinstance(expr, cst.Name):
        values = [s.value for s in _assignments(scope) if any(
            isinstance(t.target, cst.Name) and t.target.value == expr.value for t in s.targets)]
        return [n for v in values if not isinstance(v, cst.Name) for n in _constructed(v, scope, functions, depth)]
    if not isinstance(expr, cst.Call):
        return []
    callee = (dotted_name(expr.func) or "").rsplit(".", 1)[-1]
    factory = functions.get(callee)
    if factory is not None and depth < _MAX_FACTORY_DEPTH:
        return [n for r in _returns(factory) for n in _constructed(r, factory, functions, depth + 1)]
    return [callee] if callee[:1].isupper() else []


def _calls(fn: cst.FunctionDef) -> list[cst.Call]:
    return [n for n in nodes_in(fn.body) if isinstance(n, cst.Call)]


def _assignments(fn: cst.FunctionDef) -> list[cst.Assign]:
    return [n for n in nodes_in(fn.body) if isinstance(n, cst.Assign)]


def _statement_assignments(suite: cst.BaseSuite) -> list[cst.Assign]:
    """Assignment statements of a body and of the blocks nested in it, without walking expressions."""
    if isinstance(suite, cst.SimpleStatementSuite):
        return [s for s in suite.body if isinstance(s, cst.Assign)]
    found: list[cst.Assign] = []
    for stmt in suite.body if isinstance(suite, cst.IndentedBlock) else ():
        if isinstance(stmt, cst.SimpleStatementLine):
            found.extend(s for s in stmt.body if isinstance(s, cst.Assign))
        elif isinstance(stmt, cst.BaseCompoundStatement):
            found.extend(_compound_assignments(stmt))
    return found


def _compound_assignments(stmt: cst.BaseCompoundStatement) -> list[cst.Assign]:
    body = getattr(stmt, "body", None)
    found = _statement_assignments(body) if isinstance(body, cst.BaseSuite) else []
    for case in getattr(stmt, "cases", ()):  # match statements
        found.extend(_statement_assignments(case.body))
    for name in ("orelse", "finalbody"):
        part = getattr(stmt, name, None)
        if isinstance(part, cst.If):
            found.extend(_compound_assignments(part))
        elif isinstance(part, (cst.Else, cst.Finally)):
            found.extend(_statement_assignments(part.body))
    for handler in getattr(stmt, "handlers", ()):
        found.extend(_statement_assignments(handler.body))
    return found


def _returns(fn: cst.FunctionDef) -> list[cst.BaseExpression]:
    return [n.value for n in nodes_in(fn.body) if isinstance(n, cst.Return) and n.value is not None]
