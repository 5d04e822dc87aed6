"""Custom-domain ONNX ops that onnxruntime cannot run, mapped back to the user's code.

The legacy exporter writes whatever a `torch.autograd.Function`'s `symbolic` emits
(`g.op("trt_plugins::FastGelu", x)`) in place of tracing its `forward`. onnxruntime then refuses
the model at load time. The exporter is run without `verbose`, so the nodes carry no Python stack:
the op is found in the `.onnx` file, its `symbolic` in the user's files, and the blamed lines are
the executed calls of that Function's `apply`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from exportlint.probe.symbols import source_tree
from exportlint.verify.frames import make_frame
from exportlint.verify.results import Frame

# Domains whose ops onnxruntime's CPU build registers (the standard ones and its contrib ops).
_ORT_DOMAINS = frozenset({"", "ai.onnx", "ai.onnx.ml", "com.microsoft", "com.microsoft.nchwc",
                          "com.ms.internal.nhwc", "com.microsoft.experimental"})
# onnxruntime's load errors: "trt_plugins:FastGelu(-1) is not a registered function/op" and
# "No Op registered for FastGelu with domain_version of 1".
_NAMED = re.compile(r"([A-Za-z_][\w.]*):(\w+)\(-?\d+\) is not a registered|"
                    r"No Op registered for (\w+)")


@dataclass(frozen=True, slots=True)
class CustomOp:
    """One op onnxruntime cannot run, and what of the user's code emits it.

    `owner` is the autograd.Function class whose `symbolic` emits `op` ("" when none was found),
    `symbolic` the `g.op(...)` line, `calls` the executed lines calling `owner.apply`.
    """

    op: str
    owner: str = ""
    symbolic: Frame | None = None
    calls: tuple[Frame, ...] = ()


def unrunnable_ops(onnx_path: str | None, error: str,
                   executed: Mapping[str, tuple[int, ...]]) -> tuple[CustomOp, ...]:
    """The custom-domain ops of an exported model that onnxruntime's `error` is about.

    Args:
        onnx_path: the exported `.onnx` file (None or unreadable: only the error text is used).
        error: onnxruntime's message on the example inputs.
        executed: user lines the eager run executed, per file (where Functions and calls live).

    Returns:
        One entry per op, mapped to source where a Function's `symbolic` emits it; empty when the
        error is about no custom-domain op.
    """
    ops = _failing(_custom_ops(onnx_path), error)
    if not ops:
        named = named_op(error)
        ops = [named] if named else []
    emitters = _emitters(executed)
    return tuple(_mapped(op, emitters, executed) for op in ops)


def named_op(error: str) -> str | None:
    """The op an onnxruntime load error names (`trt_plugins::FastGelu`, or `FastGelu`)."""
    match = _NAMED.search(error)
    if match is None:
        return None
    domain, name, bare = match.groups()
    return f"{domain}::{name}" if name else bare


def _custom_ops(onnx_path: str | None) -> list[str]:
    """`domain::op_type` of every node outside the default domain, subgraphs included, in order
    (model-local functions are defined in the file, so calls to them are not listed)."""
    if not onnx_path:
        return []
    import onnx

    try:
        model = onnx.load(onnx_path, load_external_data=False)
    except Exception:  # noqa: BLE001 - an unreadable file leaves the error text to go on
        return []
    local = {(f.domain, f.name) for f in model.functions}
    found = [f"{n.domain}::{n.op_type}" for n in _nodes(model.graph)
             if n.domain not in ("", "ai.onnx") and (n.domain, n.op_type) not in local]
    return list(dict.fromkeys(found))


def _nodes(graph: Any) -> Iterator[Any]:
    import onnx

    for node in graph.node:
        yield node
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from _nodes(attribute.g)
            for sub in attribute.graphs:
                yield from _nodes(sub)


def _failing(ops: list[str], error: str) -> list[str]:
    """The ops the error names, plus every op of a domain onnxruntime lacks once it names one:
    onnxruntime stops at the first, and the others would fail the same way."""
    named = [op for op in ops if op.replace("::", ":") in error] or [
        op for op in ops if re.search(rf"\b{re.escape(op.rpartition(':')[2])}\b", error)]
    if not named:
        return []
    return [op for op in ops if op in named or op.rpartition("::")[0] not in _ORT_DOMAINS]


@dataclass(frozen=True, slots=True)
class _Emitter:
    owner: str
    pattern: re.Pattern[str]
    frame: Frame


def _emitters(executed: Mapping[str, tuple[int, ...]]) -> list[_Emitter]:
    """Every `g.op("domain::Name", ...)` in the `symbolic` of a class in the executed files."""
    found = []
    for path in executed:
        tree = source_tree(path)
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)) if tree else ():
            for function in cls.body:
                if isinstance(function, ast.FunctionDef) and function.name == "symbolic":
                    where = f"{cls.name}.symbolic"
                    found += [_Emitter(cls.name, pattern, make_frame(path, line, where))
                              for pattern, line in _op_names(function)]
    return found


def _op_names(function: ast.AST) -> Iterator[tuple[re.Pattern[str], int]]:
    """A pattern for the op name of each `<g>.op(name, ...)` call: a literal matches itself, an
    f-string (`f"{DOMAIN}::FastGelu"`) matches its literal parts with anything between."""
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "op" and node.args):
            continue
        name = node.args[0]
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            yield re.compile(re.escape(name.value)), node.lineno
        elif isinstance(name, ast.JoinedStr):
            parts = [re.escape(str(v.value)) if isinstance(v, ast.Constant) else ".*"
                     for v in name.values]
            yield re.compile("".join(parts)), node.lineno


def _mapped(op: str, emitters: list[_Emitter], executed: Mapping[str, tuple[int, ...]]) -> CustomOp:
    # An op the error names without its domain matches a `symbolic` emitting `<any>::Name`.
    tail = re.escape(f"::{op}")
    emitter = next((e for e in emitters if e.pattern.fullmatch(op)
                    or ("::" not in op and e.pattern.pattern.endswith(tail))), None)
    if emitter is None:
        return CustomOp(op)
    calls = sorted((frame for path, lines in executed.items()
                    for frame in _apply_calls(path, emitter.owner, set(lines))),
                   key=lambda f: (f.path, f.line))
    return CustomOp(op, emitter.owner, emitter.frame, tuple(calls))


def _apply_calls(path: str, owner: str, lines: set[int]) -> Iterator[Frame]:
    """Executed calls of `owner.apply(...)` (also `mod.owner.apply`, or an alias
    `name = owner.apply` of the same file) in `path`, one per line."""
    tree = source_tree(path)
    if tree is None:
        return
    aliases = {t.id for n in ast.walk(tree)
               if isinstance(n, ast.Assign) and _is_apply(n.value, owner)
               for t in n.targets if isinstance(t, ast.Name)}
    seen: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or node.lineno in seen:
            continue
        called = _is_apply(node.func, owner) or (
            isinstance(node.func, ast.Name) and node.func.id in aliases)
        if called and lines.intersection(range(node.lineno, (node.end_lineno or node.lineno) + 1)):
            seen.add(node.lineno)
            yield make_frame(path, node.lineno)


def _is_apply(node: ast.AST, owner: str) -> bool:
    """`owner.apply` or `something.owner.apply`."""
    if not (isinstance(node, ast.Attribute) and node.attr == "apply"):
        return False
    value = node.value
    return (isinstance(value, ast.Name) and value.id == owner) or (
        isinstance(value, ast.Attribute) and value.attr == owner)
