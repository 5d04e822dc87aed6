"""The model's other files: code the forward runs outside the file of the module's class.

Real models are spread over files: SAM3's tracker transformer (`sam3/model/encoder.py`) runs
the RoPE attention of `sam3/sam/transformer.py`, whose complex-number helpers live in
`sam3/sam/rope.py`. The fixers that rewrite code where it is (unsupported-op, hardcoded-device,
data-dependent-index, tensor-to-python) run on each such file as on the first one, each file
a `FilePart` of the plan; its rewritten classes become subclasses in the wrapper like those of
the first file, and its helpers' real twins are known to every file (a method of one file
calling a complex helper of another calls the twin). The fixers that change the graph's
interface (list inputs, memory slots) and `dynamic-branch` stay on the first file: the
exporters specialise other files' configuration branches by themselves.

A file counts when the eager forward executed it and it is the model's: it defines the class
of the module or of a submodule, or belongs to the same top-level package as one of those
(SAM3's `rope.py` holds functions only). Files that no import name reaches are skipped.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from exportlint.errors import SourceError
from exportlint.fixers.facts.source_index import index_source
from exportlint.fixers.wrapper.plan import FilePart, WrapperPlan

# Fixers that rewrite code in place, in any file of the model.
LOCAL_RULES = ("unsupported-op", "hardcoded-device", "data-dependent-index", "tensor-to-python")
MAX_FILES = 16  # other files fixed per target, in the order the forward first ran them


def executed_model_files(plan: WrapperPlan, module: Any, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> tuple[list[str], dict[str, tuple[int, ...]]]:
    """The model's files other than the plan's first one that one eager forward executed, in
    the order it first ran them, and the executed lines of every file."""
    from exportlint.probe.blame import model_files
    from exportlint.probe.eager import run_eager

    with _reference(plan):
        run = run_eager(module, args, kwargs)
    own = os.path.realpath(plan.index.path)
    sources = [own, *class_files(module)]
    files = [os.path.realpath(p) for p in model_files(sources, run.executed)]
    executed = {os.path.realpath(p): lines for p, lines in run.executed.items()}
    return list(dict.fromkeys(p for p in files if p != own)), executed


def class_files(module: Any) -> list[str]:
    """Source files of the classes of `module` and its submodules (torch's own excluded)."""
    from exportlint.verify.frames import is_user_path

    found: list[str] = []
    for sub in module.modules():
        try:
            path = inspect.getsourcefile(type(sub))
        except (TypeError, OSError):
            continue
        if path and is_user_path(path) and os.path.realpath(path) not in found:
            found.append(os.path.realpath(path))
    return found


def file_label(path: str) -> str:
    """A file as notes name it: relative to the folder above its top-level package."""
    from exportlint.probe.blame import package_root

    real = os.path.realpath(path)
    return os.path.relpath(real, os.path.dirname(package_root(real))).replace(os.sep, "/")


def model_parts(plan: WrapperPlan, files: list[str], module: Any, args: tuple[Any, ...],
                kwargs: dict[str, Any]) -> list[FilePart]:
    """One `FilePart` per importable file of `files` (at most MAX_FILES), with its trace."""
    from exportlint.fixers.facts.runtime import trace_forward

    parts = []
    for path in files[:MAX_FILES]:
        name = _module_of(path)
        if name is None:
            continue
        try:
            index = index_source(Path(path))
        except SourceError:
            continue
        with _reference(plan):
            facts, _ = trace_forward(module, args, kwargs, index)
        parts.append(FilePart(index, facts, name, file_label(path)))
    return parts


def register_twins(plan: WrapperPlan, parts: list[FilePart]) -> None:
    """Name the real twin of every complex helper the forward ran, in every file (see
    unsupported_op), so a method of one file rewrites calls of another file's helpers."""
    from exportlint.fixers.unsupported_op import complex_helpers, rewrites_fft, twin_name

    for part in [plan.file_parts()[0], *parts]:
        for name in complex_helpers(part.index, part.facts, rewrites_fft(plan)):
            plan.twins.setdefault(name, twin_name(name))
        plan.twin_returns |= part.facts.complex_returns & set(part.index.functions)


def _module_of(path: str) -> str | None:
    for name, loaded in list(sys.modules.items()):
        file = getattr(loaded, "__file__", None)
        if (file and not name.startswith(("exportlint_target_", "__main__"))
                and os.path.realpath(file) == path and getattr(loaded, "__spec__", None) is not None):
            return name
    return None


def _reference(plan: WrapperPlan) -> Any:
    if plan.cpu_reference:
        from exportlint.fixers.facts.cpu_shim import cpu_shim

        return cpu_shim()
    return contextlib.nullcontext()
