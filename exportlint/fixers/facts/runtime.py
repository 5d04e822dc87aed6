"""The runtime side of a fix: one traced eager forward of the user's module on its example inputs.

While the forward runs, a line tracer restricted to the user's file evaluates the test of every
decision site it reaches, in the frame that reaches it, and records which module instance ran
which method. Fixers read these facts to know which configuration values are set, which flags
were passed and which tests depend on tensor data.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any, Literal

from exportlint.fixers.facts.source_index import Site, SourceIndex

ObservedKind = Literal["value", "tensor", "error"]


@dataclass(frozen=True, slots=True)
class Observation:
    """One evaluation of a site's test: a Python value's truth, or a tensor."""

    kind: ObservedKind
    truth: bool | None = None
    detail: str = ""
    ndim: int = -1  # tensors only
    dtype: str = ""  # tensors only: "bool", "int64", "float32", ...


@dataclass
class RuntimeFacts:
    """What one eager forward showed about the user's module."""

    root_class: str
    module_paths: dict[str, list[str]] = field(default_factory=dict)  # class -> module paths
    calls: dict[str, set[str]] = field(default_factory=dict)  # "Class.method" -> module paths
    sites: dict[tuple[int, int], list[Observation]] = field(default_factory=dict)
    complex_params: dict[str, set[str]] = field(default_factory=dict)  # qualname -> param names
    complex_returns: set[str] = field(default_factory=set)  # qualnames that returned a complex tensor
    tensor_params: dict[str, list[str]] = field(default_factory=dict)  # qualname -> tensor params, first call

    def observed(self, site: Site) -> list[Observation]:
        return self.sites.get(site.key, [])

    def ran(self, symbol: str) -> bool:
        return symbol in self.calls

    def frozen_truth(self, site: Site) -> bool | None:
        """The single truth value the site's test always had, or None (never ran, varied, tensor)."""
        seen = self.observed(site)
        if not seen or any(o.kind != "value" for o in seen):
            return None
        truths = {o.truth for o in seen}
        return truths.pop() if len(truths) == 1 else None

    def is_data_dependent(self, site: Site) -> bool:
        return any(o.kind == "tensor" for o in self.observed(site))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def class_paths(root: Any, path: str) -> dict[str, list[str]]:
    """Module paths (`""` for the root) of each instance whose class is defined in `path`."""
    found: dict[str, list[str]] = {}
    for name, sub in root.named_modules(remove_duplicate=False):
        cls = type(sub)
        source = inspect.getsourcefile(cls) if inspect.isclass(cls) else None
        if source and same_file(source, path):
            found.setdefault(cls.__qualname__, []).append(name)
    return found


def trace_forward(
    module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], index: SourceIndex,
    extra: list[Site] | None = None,
) -> tuple[RuntimeFacts, Any]:
    """Run `module(*args, **kwargs)` once under the site tracer.

    Args:
        module: the user's module.
        args: positional arguments.
        kwargs: keyword arguments.
        index: the user's file; its decision sites are evaluated where they run.
        extra: more expressions to evaluate the same way (a fixer's probes).

    Returns:
        The facts and the eager output.
    """
    import torch

    facts = RuntimeFacts(type(module).__qualname__, class_paths(module, str(index.path)))
    paths = {id(sub): name for name, sub in module.named_modules(remove_duplicate=False)}
    tracer = _Tracer(index, facts, paths, extra or [])
    previous = sys.gettrace()
    with torch.no_grad():
        sys.settrace(tracer.global_trace)
        try:
            output = module(*args, **dict(kwargs))
        finally:
            sys.settrace(previous)
    return facts, output


class _Tracer:
    """`sys.settrace` hooks: only frames of the user's file get a local tracer."""

    def __init__(self, index: SourceIndex, facts: RuntimeFacts, paths: dict[int, str],
                 extra: list[Site]) -> None:
        self.path = os.path.realpath(index.path)
        self.facts = facts
        self.paths = paths
        self.by_line: dict[int, list[Site]] = {}
        for site in [*index.sites, *extra]:
            self.by_line.setdefault(site.line, []).append(site)
        self.compiled: dict[tuple[int, int], CodeType | None] = {}
        self.known_files: dict[str, bool] = {}

    def global_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        filename = frame.f_code.co_filename
        mine = self.known_files.get(filename)
        if mine is None:
            mine = self.known_files[filename] = os.path.realpath(filename) == self.path
        if not mine:
            return None
        self._record_call(frame)
        return self.local_trace

    def local_trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            for site in self.by_line.get(frame.f_lineno, ()):
                self.facts.sites.setdefault(site.key, []).append(self._evaluate(site, frame))
        elif event == "return" and getattr(arg, "is_complex", None) is not None and arg.is_complex():
            self.facts.complex_returns.add(frame.f_code.co_qualname)
        return self.local_trace

    def _record_call(self, frame: FrameType) -> None:
        import torch

        owner = frame.f_locals.get("self")
        qualname = frame.f_code.co_qualname
        code = frame.f_code
        params = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
        tensors = []
        for name in params:
            value = frame.f_locals.get(name)
            if isinstance(value, torch.Tensor):
                tensors.append(name)
                if value.is_complex():
                    self.facts.complex_params.setdefault(qualname, set()).add(name)
        self.facts.tensor_params.setdefault(qualname, [n for n in tensors if n != "self"])
        if owner is not None and id(owner) in self.paths:
            self.facts.calls.setdefault(qualname, set()).add(self.paths[id(owner)])
        else:
            self.facts.calls.setdefault(qualname, set())

    def _evaluate(self, site: Site, frame: FrameType) -> Observation:
        code = self._compile(site)
        if code is None:
            return Observation("error", detail="test does not compile alone")
        try:
            value = eval(code, frame.f_globals, dict(frame.f_locals))  # the user's own test
        except Exception as error:  # noqa: BLE001 - a test that only makes sense in context
            return Observation("error", detail=f"{type(error).__name__}: {error}")
        return observe(value)

    def _compile(self, site: Site) -> CodeType | None:
        if site.key not in self.compiled:
            try:
                self.compiled[site.key] = compile(f"(\n{site.test}\n)", "<site>", "eval")
            except SyntaxError:
                self.compiled[site.key] = None
        return self.compiled[site.key]


def observe(value: Any) -> Observation:
    """Classify an evaluated test: a tensor (data-dependent) or a Python value and its truth."""
    import torch

    if isinstance(value, torch.Tensor):
        truth = bool(value) if value.numel() == 1 else None
        return Observation("tensor", truth, f"{tuple(value.shape)} {value.dtype}", value.dim(),
                           str(value.dtype).removeprefix("torch."))
    try:
        return Observation("value", bool(value), type(value).__name__)
    except Exception as error:  # noqa: BLE001 - objects whose truth raises
        return Observation("error", detail=f"{type(error).__name__}: {error}")
