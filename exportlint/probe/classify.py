"""Choose the rule for a failure from the kind of error and the source text at the user line."""

from __future__ import annotations

import re
from typing import Literal

from exportlint.verify.results import CapturedWarning, Failure

ErrorKind = Literal["device", "guard", "int", "op", "signature", "constraint", "iter", "other"]

_KIND_PATTERNS: tuple[tuple[ErrorKind, re.Pattern[str]], ...] = (
    ("device", re.compile(r"cuda|pin_memory|NVIDIA driver|accelerator device|no GPU", re.IGNORECASE)),
    ("int", re.compile(r"extract specialized integer|Python (integer|number|index|float|list)")),
    ("guard", re.compile(r"guard on data-dependent|data-dependent|Data-dependent|generic_jump|"
                         r"Python boolean")),
    ("iter", re.compile(r"Iterating over a tensor")),
    ("op", re.compile(r"dynamo-optimized function|No ONNX function|DispatchError|UnsupportedOperator|is not supported|"
                      r"Required parameter '\w+' is not provided|"
                      r"Complex(Float|Double|Half)|complex|Unsupported ONNX|not implemented for",
                      re.IGNORECASE)),
    ("constraint", re.compile(r"Constraints violated|ConstraintViolation|specialized to|"
                              r"marked .* as dynamic")),
    ("signature", re.compile(r"missing (a|\d+) required|unexpected keyword argument|"
                             r"takes \d+ positional argument|positional arguments? but")),
)

_LOOP = re.compile(r"^\s*(while|for)\b|\bfor\b.+\bin\b")
_BRANCH = re.compile(r"^\s*(el)?if\b|^\s*assert\b|\bif\b.+\belse\b|^\s*return\b.+\b(and|or)\b")
_CONVERSION = re.compile(r"\b(int|float|bool)\(|\.item\(\)|\.tolist\(\)|\.numpy\(\)")
_SUBSCRIPT = re.compile(r"[\w)\]]\s*\[")
_INDEXING_CALL = re.compile(r"nonzero|masked_select|index_select|\.gather\(|where\(")
_DATA_SIZE = re.compile(r"\b(masked_select|nonzero|argwhere|unique(_consecutive)?)\s*\(")
_DEVICE = re.compile(r"\.cuda\(|['\"]cuda|pin_memory|\.to\(\s*['\"]")
_COMPLEX = re.compile(r"complex|polar|fft|1j\b")
# Calls the legacy tracer cannot trace: torch's higher-order ops and symbolic-size helpers.
_TRACED_ONLY = re.compile(r"\btorch\.cond\(|higher_order|\bsym_(min|max)\(|\bround\(.*\b(shape|size)\b")
_COND_CALL = re.compile(r"\bcond\(")
_SIZE_NUMBER = re.compile(r"\bsym_(min|max)\(|\bround\(.*\b(shape|size)\b")
_EVERY_AXIS = re.compile(r"\bamax\(|\bamin\(")
# A `def` line with keyword-only parameters or **kwargs, which the legacy tracer cannot call.
_STARRED_SIGNATURE = re.compile(r"\bdef\b.*(\*\s*,|\*\*\w)")


def error_kind(failure: Failure) -> ErrorKind:
    """What kind of error the exporter (or eager) raised, from its classes and messages."""
    text = f"{failure.error_class} {failure.cause_class} {failure.message} {failure.root_message}"
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(text):
            return kind
    return "other"


def warning_kind(warning: CapturedWarning) -> ErrorKind | None:
    """The kind of a TracerWarning that can make a trace wrong; None for harmless ones."""
    if warning.category != "TracerWarning":
        return None
    for kind, phrase in (("guard", "Python boolean"), ("int", "Python "), ("iter", "Iterating")):
        if phrase in warning.message:
            return kind  # type: ignore[return-value]
    if "registered as constants" in warning.message:
        return "int"
    return None


def rule_for(kind: ErrorKind, source: str) -> str | None:
    """The rule slug for an error kind at a line; None when no rule names it.

    Args:
        kind: from `error_kind` / `warning_kind`.
        source: the stripped text of the user line the error maps to ("" if unknown).
    """
    if kind == "device":
        return "hardcoded-device"
    if kind == "op" and _traced_only(source):
        return _traced_rule(source)
    if kind == "op":
        # An op without ONNX function whose output size is data-dependent (masked_select):
        # the static scan files it under data-dependent-index, and so does the probe.
        return "data-dependent-index" if _DATA_SIZE.search(source) else "unsupported-op"
    if kind == "iter":
        return "dynamic-loop"
    if kind == "guard":
        return _guard_rule(source)
    if kind == "int" and _LOOP.search(source) and not _CONVERSION.search(source):
        # `for i in range(len(idx))` with `idx` from nonzero: the trip count is the data's
        return "dynamic-loop"
    if kind == "int":
        return "data-dependent-index" if _indexes_with_value(source) else "tensor-to-python"
    if kind == "constraint":
        return "dynamic-branch" if _BRANCH.search(source) else None
    if kind == "signature" and _STARRED_SIGNATURE.search(source):
        return "list-tensor-input"
    return _rule_from_text(source)


def control_rule(source: str) -> str | None:
    """dynamic-loop for a loop header, dynamic-branch for a branch, else None."""
    if _LOOP.search(source):
        return "dynamic-loop"
    return "dynamic-branch" if _BRANCH.search(source) else None


def _guard_rule(source: str) -> str:
    control = control_rule(source)
    if control is not None:
        return control
    if _CONVERSION.search(source):
        return "tensor-to-python"
    if _SUBSCRIPT.search(source) or _INDEXING_CALL.search(source):
        return "data-dependent-index"
    # NOTE: no branch, loop or index at the line: an op guards inside itself on a size that a
    # value from tensor data gave (`F.adaptive_avg_pool2d(level.reshape(n, c, h, w), 1)` with h, w
    # from `.tolist()`), so the conversion upstream is the blocker to name.
    return "tensor-to-python"


def _indexes_with_value(source: str) -> bool:
    """True when a tensor->Python conversion happens inside a subscript: `x[n.item()]`."""
    for match in _SUBSCRIPT.finditer(source):
        inside = source[match.end():]
        depth, end = 1, 0
        for end, char in enumerate(inside):
            depth += {"[": 1, "]": -1}.get(char, 0)
            if depth == 0:
                break
        if _CONVERSION.search(inside[:end]):
            return True
    return False


def _rule_from_text(source: str) -> str | None:
    if _DEVICE.search(source):
        return "hardcoded-device"
    if _traced_only(source):
        return _traced_rule(source)
    if _COMPLEX.search(source):
        return "unsupported-op"
    return None


def _traced_only(source: str) -> bool:
    """A call only the legacy tracer cannot trace, on a line without complex numbers."""
    return bool(_TRACED_ONLY.search(source)) and not _COMPLEX.search(source)


def _traced_rule(source: str) -> str:
    """The rule of a call only the legacy tracer cannot trace: torch.cond is a branch on tensor
    data (dynamic-branch), sym_min/sym_max and round() of a size make a size a Python number
    (tensor-to-python); other higher-order ops are unsupported-op."""
    if _COND_CALL.search(source):
        return "dynamic-branch"
    if _SIZE_NUMBER.search(source):
        return "tensor-to-python"
    return "unsupported-op"


def pattern_hint(rule: str, source: str) -> str | None:
    """A hint for what the line itself shows, where the rule's general hint would mislead
    (unsupported-op's hint is about complex numbers; a legacy-only limit needs another)."""
    if _traced_only(source) and rule == _traced_rule(source):
        what = ("torch.cond" if "cond(" in source else "torch.sym_min/sym_max" if "sym_" in source
                else "round() of a size" if "round(" in source else "a higher-order op")
        return (f"the legacy tracer cannot trace {what}: export with the dynamo exporter "
                "(torch.onnx.export(..., dynamo=True)), or compute it with tensor ops for both")
    if rule == "unsupported-op" and _EVERY_AXIS.search(source):
        return ("dynamo's ONNX amax/amin needs `dim`: use `.max()` / `.min()` for every axis (the "
                "same value) or name the axes; `exportlint fix --rule unsupported-op` rewrites it")
    if rule == "list-tensor-input" and _STARRED_SIGNATURE.search(source) and "**" not in source:
        return ("the legacy tracer passes inputs by position: make the keyword-only parameters "
                "positional, or export with the dynamo exporter and pass them as kwargs")
    if rule == "list-tensor-input" and _STARRED_SIGNATURE.search(source):
        return ("the legacy tracer cannot fill **kwargs: name the parameters in the signature, "
                "or export with the dynamo exporter and pass them as kwargs")
    return None


def mentions_op(source: str, op: str) -> bool:
    """True when a source line calls `op` (`aten::fft_rfft2` -> `rfft2(`, `aten.polar` -> `polar(`)."""
    parts = [p for p in re.split(r"[:.]+", op) if p and p != "aten"]
    short = parts[0] if parts else op
    names = {short, short.removeprefix("fft_"), short.lstrip("_")}
    return any(re.search(rf"\b{re.escape(n)}\s*\(", source) for n in names if n)


def failed_op(failure: Failure) -> str | None:
    """The ATen operator an unsupported-op error names (`aten::polar`, `aten.masked_select`)."""
    text = f"{failure.message} {failure.root_message}"
    match = re.search(r"operator '(aten::\w+)'|op='(aten\.\w+)'|(aten[.:]{1,2}\w+)", text)
    if match is None:
        # an ONNX function called without a parameter it requires (`torch_lib::aten_amax`, no dim)
        function = re.search(r"torch_lib::aten_(\w+)", text)
        return f"aten::{function.group(1)}" if function else None
    return next((g for g in match.groups() if g), None)


COMPLEX_TOKENS = _COMPLEX
