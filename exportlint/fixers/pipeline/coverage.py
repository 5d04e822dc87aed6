"""Make sure verification takes both sides of every rewritten data-dependent branch.

Each case runs the eager original under the site tracer; a rewritten test seen with only one
outcome gets extra cases (scaled and shifted float inputs, then farther ones while a test is still
one-sided or a masked loop ran one count only) until the other outcome shows up.
A masked loop's test also counts the iterations the original ran: every scaled or shifted case
that gives a count not seen before is added too, so the loop is checked exiting at different
iterations. The report lists, per site, the cases that took each outcome (and the counts).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from exportlint.fix_model import BranchCoverage
from exportlint.fixers.facts.cpu_shim import cpu_shim
from exportlint.fixers.facts.runtime import trace_forward

from exportlint.fixers.pipeline.build import Built
from exportlint.fixers.wrapper.plan import WrapperPlan

# (name, how float tensors change): tried in order until every watched test flipped.
_FLIPS: tuple[tuple[str, float, float], ...] = (
    ("scaled-up", 4.0, 0.0), ("scaled-down", 0.25, 0.0), ("shifted-up", 1.0, 3.0),
    ("shifted-down", 1.0, -3.0), ("zeros", 0.0, 0.0), ("negated-scaled-up", -4.0, 0.0),
)
# Tried after those only while a test is still one-sided or every masked loop ran one count.
_FARTHER: tuple[tuple[str, float, float], ...] = (
    ("negated", -1.0, 0.0), ("scaled-far-up", 16.0, 0.0), ("scaled-far-down", 0.0625, 0.0),
    ("shifted-far-up", 1.0, 10.0), ("shifted-far-down", 1.0, -10.0),
)


@dataclass(frozen=True)
class Case:
    """One verification input set, in the original module's argument space."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    description: str

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Case) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass
class Coverage:
    """Per watched site: which cases took which outcome; and the cases added to flip them."""

    sites: list[BranchCoverage] = field(default_factory=list)
    extra_cases: list[Case] = field(default_factory=list)


def cover_branches(plan: WrapperPlan, built: Built, cases: list[Case]) -> Coverage:
    """Trace the original on each case; add flip cases for tests seen with one outcome only."""
    coverage = Coverage()
    if not plan.watch_sites:
        return coverage
    seen: dict[tuple[int, int], dict[bool, list[str]]] = {s.key: {} for s in plan.watch_sites}
    counts: dict[tuple[int, int], dict[str, int]] = {k: {} for k in plan.loop_probes}
    for case in cases:
        _record(plan, built, case, seen, counts)
    for flip, scale, shift in (*_FLIPS, *_FARTHER):
        if all(len(outcomes) == 2 for outcomes in seen.values()) and not counts:
            break
        if flip == _FARTHER[0][0] and all(len(o) == 2 for o in seen.values()) and \
                all(len(set(v.values())) > 1 for v in counts.values()):
            break  # every test flipped and every masked loop ran several counts: no farther flips
        case = _flipped(built, flip, scale, shift)
        before = {k: set(v) for k, v in seen.items()}
        known = {k: set(v.values()) for k, v in counts.items()}
        _record(plan, built, case, seen, counts)
        if any(set(seen[k]) != before[k] for k in seen) or \
                any(v.get(case.name) not in known[k] for k, v in counts.items()):
            coverage.extra_cases.append(case)
        else:
            for v in counts.values():
                v.pop(case.name, None)  # not compared: its count says nothing new
    for site in plan.watch_sites:
        outcomes = seen[site.key]
        coverage.sites.append(BranchCoverage(site.line, site.display, site.symbol,
                                             tuple(outcomes.get(True, [])),
                                             tuple(outcomes.get(False, [])),
                                             tuple(counts.get(site.key, {}).items())))
    return coverage


def _record(plan: WrapperPlan, built: Built, case: Case,
            seen: dict[tuple[int, int], dict[bool, list[str]]],
            counts: dict[tuple[int, int], dict[str, int]]) -> None:
    probes = list(plan.loop_probes.values())
    try:
        with cpu_shim() if plan.cpu_reference else contextlib.nullcontext():
            facts, _ = trace_forward(built.module, case.args, case.kwargs, plan.index, probes)
    except Exception:  # noqa: BLE001 - eager rejecting a case is reported by the comparison
        return
    for key, probe in plan.loop_probes.items():
        counts[key][case.name] = len(facts.sites.get(probe.key, []))
    for key, outcomes in seen.items():
        for observation in facts.sites.get(key, []):
            if observation.truth is not None:
                names = outcomes.setdefault(observation.truth, [])
                if case.name not in names:
                    names.append(case.name)


def _flipped(built: Built, name: str, scale: float, shift: float) -> Case:
    from exportlint.verify import map_inputs

    def change(_: str, value: Any) -> Any:
        import torch

        if isinstance(value, torch.Tensor) and value.is_floating_point():
            return value.detach() * scale + shift
        return value

    args, kwargs = map_inputs(built.module.forward, built.args, built.kwargs, change)
    text = f"float inputs x{scale:g} {shift:+g}, to flip data-dependent tests"
    return Case(name, tuple(args), dict(kwargs), text)
