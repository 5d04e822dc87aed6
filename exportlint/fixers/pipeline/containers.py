"""Inputs no fixer gave a flat interface: say which statement reads them, as manual work.

A forward parameter that is a nested dict or another Python object (SAM3's tracker takes its
`output_dict`, per-frame outputs keyed by frame number) is not a graph input: the exporters
would bake its keys and its layout into the graph, or fail. The fixers rewrite the file of the
module's class only; when the code that reads such an input lives in another file (SAM3's
memory gathering in `sam3_tracker_base.py`, reached through a one-method wrapper), the fix
cannot be automatic. This step names the statement that stops it: the first static error of a
memory or container rule on a line the eager forward executed in another file of the model's
packages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from exportlint.fixers.pipeline.other_files import file_label
from exportlint.fixers.wrapper.plan import GraphInput, WrapperPlan
from exportlint.model import Finding

# Rules whose errors are what reading a runtime container looks like, most specific first.
READER_RULES = ("dict-access", "dynamic-loop", "variable-length-cat", "list-tensor-input",
                "data-dependent-index", "tensor-to-python")


def unflattened(plan: WrapperPlan) -> list[GraphInput]:
    """Graph inputs that are still Python containers or objects after every fixer ran."""
    return [i for i in plan.inputs if i.annotation in ("dict", "object")]


def report_containers(plan: WrapperPlan, files: list[str],
                      executed: dict[str, tuple[int, ...]]) -> None:
    """Add one manual-work item per input in `unflattened(plan)`, naming where it is read in
    `files` (the model's other files the forward executed, see other_files)."""
    left = unflattened(plan)
    if not left:
        return
    reader = _first_reader(plan, files, executed)
    for item in left:
        param = plan.param(item.name)
        what = describe(param.value if param is not None else None)
        head = f"`{item.name}` ({what}) cannot be a graph input: the graph would fix its keys and layout"
        if reader is None:
            symbol = plan.facts.root_class + ".forward"
            method = plan.index.methods.get(symbol)
            plan.needs_manual("list-tensor-input", method.line if method else 0, symbol,
                              f"{head}; pass its tensors as tensors (fixed slots with a validity "
                              "mask for a memory that grows).")
            continue
        finding, shown = reader
        plan.needs_manual(
            finding.rule, finding.location.line, finding.symbol,
            f"{head}, and the code that reads it is in another file than the module's class, "
            "where the fixed-slot memory rewrite does not reach (it rewrites the class's own "
            f"file): {' '.join(finding.message.split())}. Rewrite that code to read fixed slots "
            "with a validity mask, then run `fix` again.", path=shown)


def describe(value: Any) -> str:
    """A short description of a Python input: `dict of 2 dicts`, `Tracker object`."""
    if isinstance(value, dict):
        kinds = sorted({type(v).__name__ for v in value.values()})
        inner = f" of {len(value)} {'/'.join(kinds)}{'s' if len(value) != 1 else ''}" if kinds else ""
        return f"dict{inner}"
    return f"{type(value).__name__} object"


def _first_reader(plan: WrapperPlan, files: list[str], executed: dict[str, tuple[int, ...]]
                  ) -> tuple[Finding, str] | None:
    if not files:
        return None
    findings = _scan([Path(p) for p in files])
    hits = [f for f in findings if f.severity == "error" and f.rule in READER_RULES
            and f.location.line in executed.get(os.path.realpath(f.location.path), ())]
    if not hits:
        return None
    order = {p: i for i, p in enumerate(files)}
    first = min(hits, key=lambda f: (READER_RULES.index(f.rule),
                                     order.get(os.path.realpath(f.location.path), len(order)),
                                     f.location.line))
    return first, file_label(first.location.path)


def _scan(paths: list[Path]) -> list[Finding]:
    try:
        from exportlint.config import Config
        from exportlint.scan import scan_paths

        results = scan_paths(paths, Config(cache=False))
    except Exception:  # noqa: BLE001 - without findings the item still names the input
        return []
    return [f for r in results for f in r.findings]
