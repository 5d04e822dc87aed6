"""unsupported-op fixer: complex-number code (SAM-style RoPE) as real (re, im) pairs.

Functions of the user's file that run during forward and use complex numbers get a real twin
(`apply_rotary_enc` -> `apply_rotary_enc_pairs`, see `complex_pairs.py`); methods that call
them, or use complex values themselves, are rewritten in the subclass; a complex attribute
(`self.freqs_cis`) is read through a real view `self.freqs_cis_pairs` that the wrapper sets
(`torch.view_as_real`, no copy). A complex multiply becomes the real formula, so results
match. When the legacy exporter is chosen, `torch.fft` transforms (rfft2 ... irfft2) count as
complex code too and become matmuls with DFT matrices (`fft_pairs.py`); dynamo converts them.
Other unsupported operations (custom autograd Functions, numpy round trips, Python randomness)
have no faithful automatic rewrite: they are reported as manual work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from exportlint.analysis.names import dotted_name
from exportlint.fixers.facts.runtime import RuntimeFacts, same_file
from exportlint.fixers.facts.source_index import SourceIndex
from exportlint.fixers.rewrites.codemods import Replacement
from exportlint.fixers.rewrites.complex_pairs import COMPLEX_MUL, ComplexToPairs
from exportlint.fixers.rewrites.fft_pairs import helpers_for
from exportlint.fixers.wrapper.fixer import FixContext, Fixer
from exportlint.fixers.wrapper.plan import WrapperPlan
from exportlint.model import Finding
from exportlint.rules.unsupported_op import ALL_AXES_WORDS

_COMPLEX = re.compile(r"view_as_complex|view_as_real|torch\.polar|torch\.complex|\bcomplex64\b")
_FFT = re.compile(r"\btorch\.fft\.\w+\(")


class UnsupportedOpFixer(Fixer):
    rule = "unsupported-op"
    title = "Complex numbers as real (re, im) pairs; manual work for other unsupported ops"

    def apply(self, ctx: FixContext) -> None:
        plan = ctx.plan
        found = ctx.findings_for(self.rule)
        if found and not plan.twins and not any(ctx.blocks(f) for f in found):
            return  # every chosen exporter converts this file's ops (FFTs under dynamo): keep them
        reduced = _every_axis_reductions(ctx) | _euclidean_distances(ctx)
        fft = rewrites_fft(plan)
        attrs = complex_attributes(ctx.module, str(plan.index.path))
        own = {name: twin_name(name) for name in complex_helpers(plan.index, plan.facts, fft)}
        # The twins of every file's helpers (other_files.register_twins), this file's included.
        twins = {**plan.twins, **own}
        done = _Rewritten(reduced_lines=reduced)
        if not own and not attrs and not _complex_methods(plan, set(), twins, fft):
            _report_others(ctx, done)
            return
        results = [_twin(plan, name, twins) for name in own]
        if any(r is None for r in results):
            _report_others(ctx, done)
            return
        done.add(plan, *results)
        done.twins = [twins[name] for name in own]
        classes = {cls for cls, _ in attrs}
        for symbol in _complex_methods(plan, classes, twins, fft):
            cls = symbol.split(".")[0]
            done.add(plan, _rewrite_method(plan, symbol, {a for c, a in attrs if c == cls}, twins))
        for cls, attr in sorted(attrs):
            for path in plan.facts.module_paths.get(cls, []):
                owner = "self.model" + (f'.get_submodule("{path}")' if path else "")
                plan.init_lines.append(f"{owner}.{attr}_pairs = torch.view_as_real({owner}.{attr})")
            plan.note(self.rule, f"`{cls}.{attr}` is complex: the rewritten code reads the real "
                      f"view `{attr}_pairs` (torch.view_as_real, shares its memory).")
        done.register(plan)
        _report_others(ctx, done)


@dataclass
class _Rewritten:
    """What the rewritten functions and methods need: `_complex_mul`, FFT helpers, and the
    lines of the FFT calls they replaced (those findings are fixed, not manual work)."""

    uses_mul: bool = False
    fft_helpers: set[str] = field(default_factory=set)
    reduced_lines: set[int] = field(default_factory=set)  # amax()/amin() -> max()/min(), cdist -> _cdist
    fft_lines: set[int] = field(default_factory=set)
    twins: list[str] = field(default_factory=list)  # this file's twins, rendered after the helpers

    def add(self, plan: WrapperPlan, *rewrites: ComplexToPairs | None) -> None:
        for pairs in rewrites:
            if pairs is None:
                continue
            self.uses_mul |= pairs.uses_mul
            self.fft_helpers |= pairs.fft_helpers
            self.fft_lines |= {plan.index.positions[call].start.line for call in pairs.fft_calls}

    def register(self, plan: WrapperPlan) -> None:
        twins = {name: plan.helpers.pop(name) for name in self.twins}
        if self.uses_mul:
            plan.helpers["_complex_mul"] = COMPLEX_MUL
        plan.helpers.update(helpers_for(self.fft_helpers))
        plan.helpers.update(twins)  # after the helpers they call, for the reader
        if self.fft_lines:
            lines = ", ".join(str(n) for n in sorted(self.fft_lines))
            plan.note(UnsupportedOpFixer.rule, f"the FFTs (line{'s' * (len(self.fft_lines) > 1)} "
                      f"{lines}) are matmuls with DFT matrices on real (re, im) pairs: the legacy "
                      "exporter has no FFT operator.", min(self.fft_lines))


def rewrites_fft(plan: WrapperPlan) -> bool:
    """Whether FFTs are rewritten: the legacy exporter is chosen (dynamo converts them)."""
    return plan.exporter in ("legacy", "both")


def twin_name(name: str) -> str:
    """The real twin's name. Not `<name>_real`: user code often has one (SAM3's
    `apply_rotary_enc_real`), and the wrapper must not shadow or import it by mistake."""
    return f"{name}_pairs"


def complex_helpers(index: SourceIndex, facts: RuntimeFacts, fft: bool = False) -> list[str]:
    """Module-level functions of `index` the forward ran that use complex numbers: complex
    code in their text, or a complex argument passed in (SAM3's `reshape_for_broadcast`);
    with `fft`, a torch.fft call too."""
    return [name for name, node in index.functions.items()
            if name in facts.calls and (_uses_complex(index.code(node), fft) or
                                        facts.complex_params.get(name))]


def _uses_complex(text: str, fft: bool) -> bool:
    return bool(_COMPLEX.search(text) or (fft and _FFT.search(text)))


def complex_attributes(module: Any, path: str) -> set[tuple[str, str]]:
    """(class, attribute) of every complex tensor held by a module of the user's file."""
    import inspect

    import torch

    found = set()
    for _, sub in module.named_modules():
        source = inspect.getsourcefile(type(sub)) or ""
        if not source or not same_file(source, path):
            continue
        values = {**sub.__dict__, **sub._buffers, **sub._parameters}
        for name, value in values.items():
            if isinstance(value, torch.Tensor) and value.is_complex():
                found.add((type(sub).__qualname__, name))
    return found


def _complex_methods(plan: WrapperPlan, classes: set[str], twins: dict[str, str],
                     fft: bool) -> list[str]:
    picked = []
    for symbol, method in plan.index.methods.items():
        text = plan.index.code(method.node)
        calls_twin = any(re.search(rf"\b{name}\(", text) for name in twins)
        # A method of a class holding complex attributes may read them through `self.`.
        if plan.facts.ran(symbol) and (calls_twin or _uses_complex(text, fft) or
                                       (method.cls in classes and "self." in text)):
            picked.append(symbol)
    return picked


def _twin(plan: WrapperPlan, name: str, twins: dict[str, str]) -> ComplexToPairs | None:
    """Add the real twin of function `name`; the rewrite, for what it needs (None: failed)."""
    node = plan.index.functions[name]
    pairs = ComplexToPairs(plan.facts.complex_params.get(name, set()), set(), twins,
                           frozenset(plan.twin_returns))
    rewritten = node.visit(pairs)
    assert isinstance(rewritten, cst.FunctionDef)
    line = plan.index.positions[node].start.line
    if pairs.unsupported:
        plan.needs_manual(UnsupportedOpFixer.rule, _refused_line(plan, pairs, line), name, "complex code with no real-valued "
                          f"rewrite here: {'; '.join(pairs.unsupported)}.")
        return None  # callers keep the complex helper: no call may name a twin never written
    doc = cst.parse_statement(f'"""`{name}` with complex numbers stored as (re, im) pairs '
                              'in a trailing dimension."""')
    body = rewritten.body.with_changes(body=[doc, *_without_docstring(rewritten.body.body)])
    twin = rewritten.with_changes(name=cst.Name(twins[name]), body=body, leading_lines=[])
    plan.helpers[twins[name]] = cst.Module([twin]).code
    plan.note(UnsupportedOpFixer.rule, f"`{name}` uses complex tensors: the wrapper calls "
              f"`{twins[name]}`, the same math on real (re, im) pairs.", line)
    return pairs


def _refused_line(plan: WrapperPlan, pairs: ComplexToPairs, default: int) -> int:
    """The line of the first statement the complex rewrite refused (the def's line if unknown)."""
    for node in pairs.unsupported_at:
        position = plan.index.positions.get(node)
        if position is not None:
            return int(position.start.line)
    return default


def _without_docstring(body: Any) -> list[Any]:
    first = body[0] if body else None
    if isinstance(first, cst.SimpleStatementLine) and isinstance(first.body[0], cst.Expr) and \
            isinstance(first.body[0].value, cst.SimpleString):
        return list(body[1:])
    return list(body)


def _rewrite_method(plan: WrapperPlan, symbol: str, attrs: set[str], twins: dict[str, str]
                    ) -> ComplexToPairs | None:
    method = plan.index.methods[symbol]
    names = plan.facts.complex_params.get(symbol, set())
    returns = frozenset(plan.twin_returns)
    dry = ComplexToPairs(names, attrs, twins, returns)
    method.node.visit(dry)
    if dry.unsupported:
        plan.needs_manual(UnsupportedOpFixer.rule, _refused_line(plan, dry, method.line), symbol, "complex code with no "
                          f"real-valued rewrite here: {'; '.join(dry.unsupported)}.")
        return None

    def edit(node: cst.CSTNode) -> Replacement:
        return node.visit(ComplexToPairs(names, attrs, twins, returns))

    plan.edit(symbol, method.node, edit)
    if dry.complex or dry.twins.keys() & set(re.findall(r"\w+", plan.index.code(method.node))):
        plan.note(UnsupportedOpFixer.rule, f"`{symbol}` uses complex tensors: rewritten on real "
                  "(re, im) pairs.", method.line)
    return dry


def _blocking_calls(ctx: FixContext, words: str) -> list[tuple[Finding, cst.Call]]:
    """(finding, call) for each blocking unsupported-op finding whose message says `words`,
    with the call that starts at the finding's position."""
    plan = ctx.plan
    found: list[tuple[Finding, cst.Call]] = []
    for finding in ctx.findings_for(UnsupportedOpFixer.rule):
        if words not in finding.message or not ctx.blocks(finding) or not finding.symbol:
            continue
        where = (finding.location.line, finding.location.column)
        found.extend((finding, call) for call, pos in plan.index.positions.items()
                     if isinstance(call, cst.Call) and (pos.start.line, pos.start.column) == where)
    return found


def _every_axis_reductions(ctx: FixContext) -> set[int]:
    """`x.amax()` / `torch.amin(x)` over every axis become `x.max()` / `torch.min(x)`: the same
    value, and both exporters convert it (dynamo's amax needs `dim`). The lines rewritten."""
    plan, lines = ctx.plan, set()
    for finding, call in _blocking_calls(ctx, ALL_AXES_WORDS):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("amax", "amin")):
            continue
        attr = call.func.attr.value
        short = attr.removeprefix("a")
        plan.edit(finding.symbol, call.func, lambda f, short=short: f.with_changes(attr=cst.Name(short)))
        code = " ".join(plan.index.code(call).split())
        plan.note(UnsupportedOpFixer.rule, f"`{code}` over every axis becomes "
                  f"`{code.replace(f'.{attr}(', f'.{short}(', 1)}`: the same value, which both "
                  "exporters convert.", finding.location.line)
        lines.add(finding.location.line)
    return lines


CDIST_HELPER = '''
def _cdist(a: Tensor, b: Tensor) -> Tensor:
    """`torch.cdist(a, b)` (p=2) from matmuls: sqrt(|a|^2 + |b|^2 - 2 a.b), clamped at 0 before
    the root; the dynamo exporter has no cdist, both exporters convert these ops."""
    squared = a.pow(2).sum(-1).unsqueeze(-1) + b.pow(2).sum(-1).unsqueeze(-2) - 2 * (a @ b.transpose(-1, -2))
    return squared.clamp_min(0).sqrt()
'''


def _euclidean_distances(ctx: FixContext) -> set[int]:
    """`torch.cdist(a, b)` with the Euclidean norm (no `p`, or `p=2`) becomes `_cdist(a, b)`:
    the same distances from matmuls, which dynamo converts. The lines rewritten."""
    plan, lines = ctx.plan, set()
    for finding, call in _blocking_calls(ctx, "cdist"):
        if not _euclidean_cdist(call):
            continue
        plan.edit(finding.symbol, call, lambda c: c.with_changes(
            func=cst.Name("_cdist"), args=[a.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                                           for a in c.args if a.keyword is None]))
        plan.helpers["_cdist"] = CDIST_HELPER
        code = " ".join(plan.index.code(call).split())
        plan.note(UnsupportedOpFixer.rule, f"`{code}` becomes `_cdist(...)`: the same Euclidean "
                  "distances from matmuls (sqrt(|a|^2 + |b|^2 - 2 a.b)), which both exporters "
                  "convert.", finding.location.line)
        lines.add(finding.location.line)
    return lines


def _euclidean_cdist(call: cst.Call) -> bool:
    """`torch.cdist(a, b)` or `torch.cdist(a, b, p=2)`: two positional tensors, the 2-norm."""
    if dotted_name(call.func) not in ("torch.cdist", "cdist"):
        return False
    positional = [a for a in call.args if a.keyword is None and not a.star]
    others = [a for a in call.args if a.keyword is not None]
    if len(positional) != 2 or len(call.args) != len(positional) + len(others):
        return False
    return all(arg.keyword is not None and arg.keyword.value == "p"
               and isinstance(arg.value, (cst.Integer, cst.Float)) and float(arg.value.value) == 2.0
               for arg in others)


def _report_others(ctx: FixContext, done: _Rewritten) -> None:
    for finding in ctx.findings_for(UnsupportedOpFixer.rule):
        if finding.location.line in done.reduced_lines and (
                ALL_AXES_WORDS in finding.message or "cdist" in finding.message):
            continue  # rewritten to max() / min(), or to _cdist()
        if _COMPLEX.search(finding.message) or "complex" in finding.message:
            continue
        if finding.location.line in done.fft_lines and _FFT.search(finding.message):
            continue  # rewritten into DFT matmuls
        if finding.symbol and not ctx.plan.facts.ran(finding.symbol):
            continue  # not on this forward's path
        if not ctx.blocks(finding):
            continue  # converted faithfully by every chosen exporter
        ctx.plan.needs_manual(UnsupportedOpFixer.rule, finding.location.line, finding.symbol,
                              f"{finding.message.rstrip('.')}: no faithful automatic rewrite.")
