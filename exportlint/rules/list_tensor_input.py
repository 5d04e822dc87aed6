"""list-tensor-input: forward parameters that hold several tensors (lists, tuples, dicts, *args, **kwargs)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from exportlint.analysis.classes import ClassInfo
from exportlint.analysis.names import dotted_name
from exportlint.analysis.params import annotation_text, is_self
from exportlint.analysis.uses import Parents
from exportlint.model import Outcomes
from exportlint.rules.base import Invalid, Rule, Valid, forward

_LISTS = {"List", "list", "Tuple", "tuple", "Sequence", "Iterable", "MutableSequence"}
_DICTS = {"Dict", "dict", "Mapping", "MutableMapping", "OrderedDict"}
_TENSORS = {"Tensor", "FloatTensor", "LongTensor", "BoolTensor"}
_INT_KEYS = re.compile(r"(Dict|dict|Mapping|MutableMapping|OrderedDict)\[int,")
_DICT_METHODS = {"get", "items", "keys", "values", "setdefault"}
_FIX = "exportlint fix --rule list-tensor-input"
_HINT = f"Export through a wrapper that takes one tensor per item and rebuilds the container (`{_FIX}`)."
_TRAILING_HINT = (f"Pass an empty dict after it, `args=(..., {{...}}, {{}})`, so the dict is not taken as keyword "
                  f"arguments, or flatten it into named inputs (`{_FIX}`).")


@dataclass(frozen=True)
class _Shape:
    """What a parameter holds: "list", "fixed" (Tuple[Tensor, Tensor]), "dict", "optional"."""

    kind: str
    count: int = 0
    int_keys: bool = False


class ListTensorInput(Rule):
    """## What it does
    Checks the parameters of every `forward` for containers of tensors: `List`/`Tuple`/
    `Sequence`/`Dict` of tensors, `Optional[Tensor]`, `*args` and `**kwargs`. Unannotated
    parameters are reported only when the code shows they are dicts or lists (a dict default,
    `.get`/`.items()`/string-key lookups, a `torch.cat` of the parameter).

    ## Why is this bad?
    ONNX graph inputs are single tensors. What the exporters do, measured with torch 2.13:
    - list, tuple, `*args`: both exporters flatten them into one input per tensor (dynamo names
      them `feats_0`, `feats_1`...; legacy gives positional names like `onnx::Add_0`) and bake
      the number seen at export. Callers must pass flattened inputs. Warning (info for a
      fixed-size `Tuple[Tensor, Tensor]`).
    - dict as the LAST positional parameter: `torch.onnx.export` takes a trailing dict in
      `args` as keyword arguments, so both exporters call forward without it and fail. Error.
    - other dicts: both flatten them into one input per entry (dynamo: `memory_<key>`), baking
      the keys present at export. Warning. With int keys the legacy tracer turns the keys into
      tensors, so every lookup by an int key misses, silently. Error.
    - `**kwargs`: dynamo turns each keyword tensor into an input named after its key; legacy
      cannot pass keyword tensors through `**kwargs`. When forward reads a key
      (`kwargs["mask"]`) legacy fails: error; when it only passes them on: warning.
    - keyword-only parameters (`def forward(self, x, *, scale)`): dynamo exports them; legacy
      passes every argument and default by position and fails, even when none is passed. Error.
    - `Optional[Tensor]`: both export the call you make (a tensor becomes an input, None
      leaves it out) and stay right for it. Info.

    ## Example
        def forward(self, feats: List[Tensor], queries: Tensor): ...
    Use instead:
        def forward(self, feat0: Tensor, feat1: Tensor, feat2: Tensor, queries: Tensor): ...

    ## Fix safety
    Unsafe: the list-tensor-input fixer writes a wrapper with one named input per tensor that
    rebuilds the list, tuple or flat dict of the probe example; the number of tensors and the
    dict keys are pinned to that example.
    """

    code = "EXL201"
    name = "list-tensor-input"
    summary = "forward parameter holding several tensors (list, tuple, dict, *args, **kwargs)"
    probe_hint = ("pass each tensor as its own input; end args with `{}` when the last "
                  "one is a dict")
    hint = _HINT
    VALID = [
        Valid(forward("x: torch.Tensor, scale: float = 1.0")),
        Valid(forward("x, mask=None")),
        Valid(forward("x, **kwargs")),
        Valid(forward("x, shape: Tuple[int, int]")),
    ]
    INVALID = [
        Invalid(forward("x, *, scale=None", "return x if scale is None else x * scale"),
                line=6, severity="error", column=28, message="keyword-only parameter `scale`: dynamo exports"),
        Invalid(forward("feats: List[torch.Tensor]", "return feats[0]"),
                line=6, severity="warning", column=22,
                message="`feats` is a sequence of tensors"),
        Invalid(forward("*xs", "return xs[0]"), line=6, severity="warning", column=22,
                message="`*xs`: both exporters turn each positional tensor into its"),
        Invalid(forward("x, feats: Dict[str, torch.Tensor]", "return x + feats['a']"),
                line=6, severity="error", column=25,
                message="`feats` is a dict and the last positional parameter"),
        Invalid(forward("feats: Dict[str, torch.Tensor], x", "return x + feats['a']"),
                line=6, severity="warning", column=22,
                message="`feats` is a dict of tensors"),
        Invalid(forward("x, mem: dict[int, torch.Tensor], n: int", "return x + mem[1]"),
                line=6, severity="error", column=25,
                message="`mem` is a dict with int keys"),
        Invalid(forward("x, bias: Optional[torch.Tensor] = None", "return x"),
                line=6, severity="info", column=25,
                message="`bias` is an optional tensor"),
        Invalid(forward("x, **extra", "return x + extra['b']"), line=6, severity="error", column=25,
                message="`**extra` is used in forward"),
        Invalid(forward("x, **extra", "extra['scale'] = 2.0; return self.inner(x, **extra)"), line=6,
                severity="warning", column=25, message="`**extra` is used in forward"),
        Invalid(forward("x, cache={}", "return x"), line=6, severity="error", column=25,
                message="`cache` is a dict and the last positional parameter"),
        Invalid(forward("x, state", "return x + state.get('h', 0)"),
                line=6, severity="error", column=25,
                message="`state` is a dict and the last positional parameter"),
        Invalid(forward("xs, w", "return torch.cat(xs) * w"), line=6, severity="warning", column=22,
                message="`xs` is a sequence of tensors"),
    ]

    def check_class(self, info: ClassInfo) -> None:
        fn = info.methods.get("forward")
        if fn is None:
            return
        symbol = f"{info.name}.forward"
        params = fn.params
        positional = [p for p in [*params.posonly_params, *params.params] if not is_self(p)]
        has_star = isinstance(params.star_arg, cst.Param)
        for i, param in enumerate(positional):
            last = i == len(positional) - 1 and not has_star
            rest_defaulted = all(p.default is not None for p in positional[i + 1:]) and not has_star
            self._check_param(fn, param, symbol, "last" if last else "defaults" if rest_defaulted else "")
        for param in params.kwonly_params:
            self._check_param(fn, param, symbol, "")
        if params.kwonly_params:
            self._report_keyword_only(params.kwonly_params[0], [p.name.value for p in params.kwonly_params], symbol)
        if isinstance(params.star_arg, cst.Param):
            self._report_star(params.star_arg, symbol)
        if params.star_kwarg is not None:
            reads = _kwargs_reads(fn, params.star_kwarg.name.value)
            if reads:
                self._report_kwargs(params.star_kwarg, symbol, required="key" in reads)

    def _check_param(self, fn: cst.FunctionDef, param: cst.Param, symbol: str, position: str) -> None:
        shape = _shape_of(fn, param)
        if shape is None:
            return
        name = param.name.value
        if shape.kind == "dict":
            self._report_dict(fn, param, symbol, shape, position)
        elif shape.kind == "list":
            self.report(param, f"`{name}` is a sequence of tensors: both exporters flatten it into one graph input "
                        f"per tensor (dynamo: `{name}_0`, `{name}_1`, ...; legacy: positional names) and bake the "
                        "number of tensors seen at export; callers must pass them one by one",
                        Outcomes.same("specialized"), symbol=symbol)
        elif shape.kind == "fixed":
            self.report(param, f"`{name}` is a tuple of {shape.count} tensors: both exporters flatten it into "
                        f"{shape.count} graph inputs (dynamo: `{name}_0`, ...; legacy: positional names) and stay "
                        "right; callers of the ONNX graph must pass them one by one",
                        Outcomes.same("ok"), symbol=symbol)
        else:
            self.report(param, f"`{name}` is an optional tensor: both exporters export the call you make (a "
                        "tensor becomes a graph input, None leaves it out with its `is None` path) and stay "
                        "right for it; export once per form you call", Outcomes.same("ok"), symbol=symbol,
                        hint="Export with the form you deploy (tensor or None) and keep callers consistent.")

    def _report_dict(self, fn: cst.FunctionDef, param: cst.Param, symbol: str, shape: _Shape, position: str) -> None:
        name = param.name.value
        if position == "last":
            self.report(param, f"`{name}` is a dict and the last positional parameter: torch.onnx.export takes a "
                        "trailing dict in `args` as keyword arguments, so both exporters call forward without "
                        f"`{name}` and fail", Outcomes.same("fails"), symbol=symbol, hint=_TRAILING_HINT)
            return
        flat = (f"both exporters flatten it into one graph input per entry (dynamo: `{name}_<key>`), baking the "
                "keys present at export")
        if position == "defaults":
            flat += "; if it is the last argument you pass, both fail (a trailing dict is taken as keyword arguments)"
        if shape.int_keys and _looked_up(Parents.of(fn), name, 0):
            self.report(param, f"`{name}` is a dict with int keys: dynamo flattens it into one graph input per "
                        "entry, baking the keys present at export; legacy turns the int keys into tensors, so "
                        "every lookup by an int key misses, silently", Outcomes(dynamo="specialized", legacy="wrong"),
                        symbol=symbol, hint="Give the graph a fixed layout: one tensor per memory slot plus a "
                        "validity mask, looked up by position rather than by int key.")
            return
        self.report(param, f"`{name}` is a dict of tensors: {flat}", Outcomes.same("specialized"), symbol=symbol)

    def _report_keyword_only(self, param: cst.Param, names: list[str], symbol: str) -> None:
        shown = ", ".join(f"`{n}`" for n in names)
        self.report(param, f"keyword-only parameter{'s' if len(names) > 1 else ''} {shown}: dynamo exports keyword "
                    "tensors as graph inputs named after them; legacy passes every argument, and each default, "
                    "by position, so forward raises `takes N positional arguments` and the export fails, even when "
                    "none is passed", Outcomes(dynamo="ok", legacy="fails"), symbol=symbol,
                    hint="Make them positional-or-keyword parameters (drop the `*,`), or export through a wrapper "
                    "whose forward takes them by position.")

    def _report_star(self, param: cst.Param, symbol: str) -> None:
        name = param.name.value
        self.report(param, f"`*{name}`: both exporters turn each positional tensor into its own graph input "
                    f"(dynamo: `{name}_0`, `{name}_1`, ...; legacy: positional names) and bake their number",
                    Outcomes.same("specialized"), symbol=symbol)

    def _report_kwargs(self, param: cst.Param, symbol: str, required: bool) -> None:
        name = param.name.value
        legacy = (f"legacy cannot pass keyword tensors through `**{name}`: forward runs without the keys it "
                  "reads and fails" if required else f"legacy cannot pass keyword tensors through `**{name}` "
                  "(export works only when none are passed)")
        self.report(param, f"`**{name}` is used in forward: dynamo turns each keyword tensor into a graph input "
                    f"named after its key (the key set is baked); {legacy}",
                    Outcomes(dynamo="specialized", legacy="fails" if required else "specialized"),
                    symbol=symbol, hint="Name the tensors as parameters of forward, or export through a wrapper "
                    f"that does (`{_FIX}`).")


def _shape_of(fn: cst.FunctionDef, param: cst.Param) -> _Shape | None:
    ann = annotation_text(param)
    if not ann:
        return _shape_from_use(fn, param)
    inner = re.sub(r"^(typing\.)?Optional\[(.*)\]$", r"\2", ann).replace("|None", "").replace("None|", "")
    optional = inner != ann
    head = inner.split("[", 1)[0].rsplit(".", 1)[-1]
    if head in _DICTS:
        return _Shape("dict", int_keys=bool(_INT_KEYS.search(inner)))
    if head in _LISTS and "Tensor" in inner:
        return _fixed_tuple(inner) if head in ("Tuple", "tuple") else _Shape("list")
    if optional and inner.rsplit(".", 1)[-1] in _TENSORS:
        return _Shape("optional")
    return None


def _fixed_tuple(inner: str) -> _Shape:
    body = inner.split("[", 1)[1].rsplit("]", 1)[0]
    if "..." in body or "[" in body:
        return _Shape("list")
    return _Shape("fixed", count=len(body.split(",")))


def _shape_from_use(fn: cst.FunctionDef, param: cst.Param) -> _Shape | None:
    """An unannotated parameter: a dict default, dict methods or string keys, or torch.cat(param)."""
    if isinstance(param.default, (cst.Dict, cst.DictComp)):
        return _Shape("dict")
    name = param.name.value
    parents = Parents.of(fn)
    for load in parents.loads(name):
        up = parents.parent(load)
        if isinstance(up, cst.Attribute) and up.value is load and up.attr.value in _DICT_METHODS:
            return _Shape("dict")
        if isinstance(up, cst.Subscript) and up.value is load and _string_key(up):
            return _Shape("dict")
        if isinstance(up, cst.Arg) and _is_cat(parents.parent(up), up):
            return _Shape("list")
    return None


def _string_key(sub: cst.Subscript) -> bool:
    el = sub.slice[0].slice if len(sub.slice) == 1 else None
    return isinstance(el, cst.Index) and isinstance(el.value, (cst.SimpleString, cst.FormattedString))


def _is_cat(call: cst.CSTNode | None, arg: cst.Arg) -> bool:
    if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
        return False
    name = dotted_name(call.func) or ""
    return name.rsplit(".", 1)[-1] in ("cat", "stack", "concat", "concatenate") and name.startswith("torch.")


def _looked_up(parents: Parents, name: str, depth: int) -> bool:
    """True when the dict in `name` (or a dict inside it, or a local alias) is read by a non-string key."""
    for load in parents.loads(name):
        node: cst.CSTNode = load
        while True:
            up = parents.parent(node)
            if isinstance(up, cst.Subscript) and up.value is node:
                if not _string_key(up):
                    return True
                node = up
            elif isinstance(up, cst.Attribute) and up.value is node:
                if up.attr.value in ("get", "pop", "setdefault", "__getitem__", "__contains__"):
                    return True
                break
            elif isinstance(up, cst.ComparisonTarget) and isinstance(up.operator, (cst.In, cst.NotIn)):
                return True
            elif isinstance(up, cst.Assign) and depth < 2:
                names = [t.target.value for t in up.targets if isinstance(t.target, cst.Name)]
                if any(_looked_up(parents, n, depth + 1) for n in names):
                    return True
                break
            else:
                break
    return False


def _kwargs_reads(fn: cst.FunctionDef, name: str) -> set[str]:
    """How forward uses `**name`: "key" (`kw["k"]`: the key is required), "other" (splat, .get, ...)."""
    parents = Parents.of(fn)
    kinds: set[str] = set()
    for load in parents.loads(name):
        up = parents.parent(load)
        # NOTE: `kw["need_weights"] = False` (SAM3's attention wrapper) sets a key: nothing is required.
        written = isinstance(up, cst.Subscript) and isinstance(parents.parent(up), cst.AssignTarget)
        kinds.add("key" if isinstance(up, cst.Subscript) and up.value is load and _string_key(up) and not written
                  else "other")
    return kinds
