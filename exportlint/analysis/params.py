"""The abstract value of a function parameter, from its annotation, default and name."""

from __future__ import annotations

import re

import libcst as cst

from exportlint.analysis.values import CONST, TENSOR, Dep, Form, Val, scalar
from exportlint.cstwalk import nodes_in

_TENSOR_TYPES = {"Tensor", "torch.Tensor", "FloatTensor", "LongTensor", "BoolTensor"}
_LIST_TYPES = ("List", "list", "Tuple", "tuple", "Sequence", "Iterable")
_DICT_TYPES = ("Dict", "dict", "Mapping", "MutableMapping")
_SCALAR_TYPES = {"bool", "int", "float", "str"}
# Unannotated parameters whose name says they hold a Python value, not a tensor.
_FLAG_NAME = re.compile(r"^(is_|use_|return_|num_|n_|do_|with_|enable_|has_|should_|allow_|keep_|skip_|run_"
                        r"|max_|min_)"
                        r"|(_idx|_index|_flag|_mode|_id|_reverse|_only|_num|_count)$|^(idx|training|mode)$")
_DICT_NAME = re.compile(r"(^|_)(dict|state|cache|outputs)$")
# Methods only a mapping has (a tensor or a list has none of them).
_MAPPING_METHODS = {"items", "keys", "values", "get", "setdefault", "update"}

ARGUMENT = scalar(Dep.ARGUMENT)


def annotation_text(param: cst.Param) -> str:
    """The annotation as source text, or "" when there is none."""
    if param.annotation is None:
        return ""
    return cst.Module([]).code_for_node(param.annotation.annotation).replace(" ", "")


def param_value(param: cst.Param, star: str = "") -> Val:
    """What a parameter holds at call time when nothing better is known.

    Args:
        param: the parameter node.
        star: "*" for *args, "**" for **kwargs.
    """
    if star == "*":
        return Val(Form.TLIST, Dep.LAYOUT)
    if star == "**":
        return Val(Form.DICT, Dep.LAYOUT)
    ann = annotation_text(param)
    if ann:
        return value_from_annotation(ann, param.default)
    return _value_from_default(param)


def value_from_annotation(ann: str, default: cst.BaseExpression | None) -> Val:
    """Map an annotation to a value: tensors, lists/dicts of them, or Python flags."""
    inner = ann
    for wrapper in ("Optional[", "typing.Optional["):
        if inner.startswith(wrapper) and inner.endswith("]"):
            inner = inner[len(wrapper):-1]
    inner = inner.replace("|None", "").replace("None|", "")
    head = inner.split("[", 1)[0].rsplit(".", 1)[-1] if "[" in inner else inner
    if inner in _TENSOR_TYPES or inner.rsplit(".", 1)[-1] in _TENSOR_TYPES:
        return TENSOR
    if head in _LIST_TYPES and "Tensor" in inner:
        return Val(Form.TLIST, Dep.CONST)
    if head in _DICT_TYPES or head in ("Dict", "dict"):
        return Val(Form.DICT, Dep.LAYOUT)
    if inner in _SCALAR_TYPES or head in ("Literal",):
        return ARGUMENT
    if head in _LIST_TYPES:
        return ARGUMENT
    return TENSOR if "Tensor" in inner else ARGUMENT


def _value_from_default(param: cst.Param) -> Val:
    name = param.name.value
    default = param.default
    if default is not None and not (isinstance(default, cst.Name) and default.value == "None"):
        if isinstance(default, (cst.Dict, cst.DictComp)):
            return Val(Form.DICT, Dep.LAYOUT)
        if isinstance(default, (cst.List, cst.Tuple)):
            return ARGUMENT
        return ARGUMENT
    if _DICT_NAME.search(name):
        return Val(Form.DICT, Dep.LAYOUT)
    if _FLAG_NAME.search(name):
        return ARGUMENT
    return TENSOR


def dict_params(fn: cst.FunctionDef, names: set[str]) -> set[str]:
    """Which of `names` the body of `fn` uses as a mapping: `p["key"]`, `p.items()` (or keys,
    values, get, setdefault, update, `pop("key")`), or `"key" in p`.

    Args:
        fn: the function whose parameters are asked about.
        names: the parameters to check (typically the unannotated ones guessed to be tensors).

    Returns:
        The names used as a runtime dict; a tensor cannot be used any of these ways.
    """
    found: set[str] = set()
    if not names:
        return found
    for node in nodes_in(fn.body):
        kind = type(node)
        if kind is cst.Subscript:
            name = _name_of(node.value)
            if name in names and any(isinstance(e.slice, cst.Index) and _is_text(e.slice.value)
                                     for e in node.slice):
                found.add(name)
        elif kind is cst.Call and type(node.func) is cst.Attribute:
            name = _name_of(node.func.value)
            if name in names and _mapping_method(node):
                found.add(name)
        elif kind is cst.Comparison and _is_text(node.left):
            for comp in node.comparisons:
                name = _name_of(comp.comparator)
                if name in names and isinstance(comp.operator, (cst.In, cst.NotIn)):
                    found.add(name)
    return found


def _mapping_method(call: cst.Call) -> bool:
    assert isinstance(call.func, cst.Attribute)
    method = call.func.attr.value
    if method in _MAPPING_METHODS:
        return True
    # NOTE: lists have pop(index) too; only a string key says the receiver is a mapping.
    return method == "pop" and bool(call.args) and _is_text(call.args[0].value)


def _name_of(expr: cst.BaseExpression) -> str:
    return expr.value if type(expr) is cst.Name else ""


def _is_text(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString))


def is_self(param: cst.Param) -> bool:
    return param.name.value in ("self", "cls")


def named_params(fn: cst.FunctionDef) -> list[cst.Param]:
    """The parameters a caller can name: positional-only, ordinary and keyword-only (not *args/**kw)."""
    params = fn.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def param_names(fn: cst.FunctionDef) -> set[str]:
    """The names of `named_params`."""
    return {p.name.value for p in named_params(fn)}


def call_argument(call: cst.Call, param: str, index: int) -> cst.BaseExpression | None:
    """What `call` passes for `param`: by keyword, else its `index`-th plain positional argument."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param:
            return arg.value
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    return positional[index] if 0 <= index < len(positional) else None


__all__ = ["ARGUMENT", "CONST", "annotation_text", "call_argument", "dict_params", "is_self", "named_params", "param_names", "param_value",
           "value_from_annotation"]
