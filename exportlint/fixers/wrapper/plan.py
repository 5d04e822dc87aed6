"""The wrapper plan: what fixers decide, before it is rendered as a wrapper module.

A plan starts as the identity wrapper (tensor arguments become graph inputs, other arguments
are frozen to their example values, outputs are flattened) and each fixer changes it: edits of
the user's methods, new graph inputs, statements before the call, notes for the docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from exportlint.fix_model import Manual, Note
from exportlint.fixers.facts.runtime import RuntimeFacts
from exportlint.fixers.facts.source_index import Site, SourceIndex
from exportlint.fixers.rewrites.codemods import Edit
from exportlint.target import TargetRef


@dataclass
class GraphInput:
    """One ONNX graph input: a parameter of the wrapper's forward.

    `source` is the expression that computes it from the original call's parameters in the
    generated `export_inputs`.
    """

    name: str
    source: str
    annotation: str = "Tensor"


@dataclass
class CallArg:
    """One argument of the wrapper's call to the user's module (`keyword=None`: positional)."""

    keyword: str | None
    expr: str


@dataclass(frozen=True)
class ParamFact:
    """One parameter of the original forward, bound to its example value."""

    name: str
    kind: str  # "tensor" | "tensors" | "none" | "value" | "dict" | "other"
    positional: bool
    value: Any = None
    default: str | None = None  # source text of the default, when the signature has one


# Builds extra verification cases in the original's argument space: (name, args, kwargs, text).
CaseBuilder = Callable[[tuple[Any, ...], dict[str, Any]], list[tuple[str, tuple[Any, ...], dict[str, Any], str]]]


@dataclass
class FilePart:
    """What the fixers changed in one file of the model: its rewritten methods and helpers.

    The plan's own fields hold the file being fixed; `WrapperPlan.in_file` swaps another in.
    """

    index: SourceIndex
    facts: RuntimeFacts
    source_module: str | None
    label: str = ""  # how notes name the file ("": the plan's first file)
    edits: dict[str, dict[cst.CSTNode, Edit]] = field(default_factory=dict)
    new_methods: dict[str, list[str]] = field(default_factory=dict)
    helpers: dict[str, str] = field(default_factory=dict)

    def rewritten_classes(self) -> list[str]:
        """Classes of this file with at least one rewritten or added method, in file order."""
        touched = {s.split(".", 1)[0] for s in self.edits} | set(self.new_methods)
        return [c for c in self.index.classes if c in touched]


@dataclass
class WrapperPlan:
    """Everything the renderer needs to write the wrapper module."""

    target: TargetRef
    index: SourceIndex
    facts: RuntimeFacts
    params: list[ParamFact]
    inputs: list[GraphInput] = field(default_factory=list)
    call: list[CallArg] = field(default_factory=list)
    prelude: list[str] = field(default_factory=list)
    entry: str = ""  # method of the user's module the wrapper calls ("": the module itself)
    adapter: list[str] = field(default_factory=list)  # statements of export_inputs before return
    init_lines: list[str] = field(default_factory=list)  # statements of the wrapper's __init__
    claimed: list[tuple[int, int]] = field(default_factory=list)  # line ranges a fixer rewrote whole
    outputs: list[tuple[str, str]] = field(default_factory=list)  # (name, expression on `out`)
    edits: dict[str, dict[cst.CSTNode, Edit]] = field(default_factory=dict)
    new_methods: dict[str, list[str]] = field(default_factory=dict)  # class -> method sources
    helpers: dict[str, str] = field(default_factory=dict)  # name -> module-level source
    notes: list[Note] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)
    static_axes: dict[str, set[int]] = field(default_factory=dict)
    dynamic_axes: dict[str, dict[int, str]] = field(default_factory=dict)
    case_builders: list[CaseBuilder] = field(default_factory=list)
    watch_sites: list[Site] = field(default_factory=list)  # data-dependent tests to flip
    # A masked loop's watched test -> a probe on the first line of its body (counts iterations).
    loop_probes: dict[tuple[int, int], Site] = field(default_factory=dict)
    max_iters: int = 16  # bound of a masked `while` whose configuration gives none (--max-iters)
    fixers: list[str] = field(default_factory=list)
    factory_kwargs: bool = False  # the factory returns (module, args, kwargs)
    cpu_reference: bool = False  # the original needs `cpu_shim` to run eagerly here
    exporter: str = "dynamo"  # the exporter choice being verified ("dynamo", "legacy", "both")
    source_module: str | None = None  # module of the indexed file when it is not the target's
    label: str = ""  # how notes name the current file when it is not the first one
    parts: list[FilePart] = field(default_factory=list)  # other files of the model, fixed
    twins: dict[str, str] = field(default_factory=dict)  # complex helper -> real twin, all files
    twin_returns: set[str] = field(default_factory=set)  # complex helpers returning complex values

    def edit(self, symbol: str, node: cst.CSTNode, edit: Edit) -> None:
        """Register an edit of `node` (a node of the original tree) in method `symbol`."""
        self.edits.setdefault(symbol, {})[node] = edit

    def note(self, rule: str, text: str, line: int = 0) -> None:
        entry = Note(rule, text, line, self.label)
        if entry not in self.notes:
            self.notes.append(entry)

    def needs_manual(self, rule: str, line: int, symbol: str, reason: str, path: str = "") -> None:
        entry = Manual(rule, line, symbol, reason, path or self.label)
        if entry not in self.manual:
            self.manual.append(entry)

    def is_claimed(self, line: int) -> bool:
        """True when `line` lies in code a fixer replaced as a whole (other fixers skip it)."""
        return any(start <= line <= end for start, end in self.claimed)

    def param(self, name: str) -> ParamFact | None:
        return next((p for p in self.params if p.name == name), None)

    def rewritten_classes(self) -> list[str]:
        """User classes with at least one rewritten or added method, in file order."""
        touched = {s.split(".", 1)[0] for s in self.edits} | set(self.new_methods)
        return [c for c in self.index.classes if c in touched]

    def file_parts(self) -> list[FilePart]:
        """Every fixed file: the plan's first file (sharing the plan's dicts), then the others."""
        first = FilePart(self.index, self.facts, self.source_module, self.label, self.edits,
                         self.new_methods, self.helpers)
        return [first, *self.parts]

    @contextmanager
    def in_file(self, part: FilePart) -> Iterator[None]:
        """Let fixers work on `part`'s file; it is added to `parts` when the block ends."""
        saved = self.file_parts()[0]
        self._load(part)
        try:
            yield
        finally:
            done = self.file_parts()[0]
            self._load(saved)
            self.parts.append(done)

    def _load(self, part: FilePart) -> None:
        self.index, self.facts, self.source_module, self.label = (
            part.index, part.facts, part.source_module, part.label)
        self.edits, self.new_methods, self.helpers = part.edits, part.new_methods, part.helpers
