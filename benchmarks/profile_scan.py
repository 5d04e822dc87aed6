"""Where a cold scan spends its time, step by step and rule by rule, in one process.

    python benchmarks/profile_scan.py DIR [--per-rule]

Runs the same steps as `exportlint scan --no-cache --jobs 1` on every file of DIR and sums the
time of each: the textual pre-pass, CPython's syntax check, libcst parsing, facts, every rule
(position resolution counted on its own) and suppressions.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import exportlint.positions
from exportlint import engine, scan
from exportlint.config import Config
from exportlint.prepass import class_index, identifiers, known_from_index, may_define_module
from exportlint.source import check_syntax, parse_source
from exportlint.suppress import apply_suppressions


class _Clock:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}
        self.files = 0
        self.skipped = 0

    def time(self, step: str, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.steps[step] = self.steps.get(step, 0.0) + time.perf_counter() - start


def profile(tree: Path, per_rule: bool = False) -> _Clock:
    """Time every step of a cold single-process scan of `tree` (`per_rule`: also each rule alone)."""
    clock = _Clock()
    config = Config()
    files = scan.discover([tree]).files
    texts = [clock.time("read + decode", lambda p: p.read_bytes().decode("utf-8", "replace"), p) for p in files]
    known = clock.time("pre-pass (class index)", lambda: known_from_index([class_index(t) for t in texts]))
    rules = engine.selected_rules(config)
    spans = _time_spans(clock)
    for path, text in zip(files, texts):
        clock.files += 1
        used = clock.time("pre-pass (identifiers)", lambda t: known & identifiers(t), text)
        tree_ast = clock.time("CPython syntax check", check_syntax, str(path), text)
        if not may_define_module(tree_ast, used):
            clock.skipped += 1
            continue
        source = clock.time("libcst parse", parse_source, str(path), text, True, tree_ast)
        facts = clock.time("facts (classes, dataflow)", engine._facts, source, used, frozenset())
        before = spans.steps.get("positions", 0.0)
        start = time.perf_counter()
        found = engine._run_rules(rules, source, facts, config)
        spent = time.perf_counter() - start - (spans.steps.get("positions", 0.0) - before)
        clock.steps["rules (all, one walk)"] = clock.steps.get("rules (all, one walk)", 0.0) + spent
        if per_rule:
            for rule in rules:
                clock.time(f"  alone: rule {rule.name}", engine._run_rule, rule, source, facts, config)
        clock.time("suppressions", apply_suppressions, found, text, path, str(path), config, rules)
    clock.steps["positions"] = spans.steps.get("positions", 0.0)
    return clock


def _time_spans(clock: _Clock) -> _Clock:
    real = exportlint.positions.Positions.span

    def timed(self: Any, node: Any, root: Any = None) -> Any:
        return clock.time("positions", real, self, node, root)

    exportlint.positions.Positions.span = timed  # type: ignore[method-assign]
    return clock


def print_profile(tree: Path, per_rule: bool = False) -> None:
    """Print the steps of a cold scan of `tree`, slowest first."""
    clock = profile(tree, per_rule)
    total = sum(v for k, v in clock.steps.items() if not k.startswith("  alone"))
    print(f"\nwhere a cold scan of {tree.name}/ spends its time (one process, {clock.files} files, "
          f"{clock.skipped} skipped after the syntax check: no nn.Module)")
    for step, seconds in sorted(clock.steps.items(), key=lambda kv: -kv[1]):
        if not step.startswith("  alone"):
            print(f"  {step:<36}{seconds:8.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  {'total':<36}{total:8.2f} s")
    alone = [(k, v) for k, v in sorted(clock.steps.items(), key=lambda kv: -kv[1]) if k.startswith("  alone")]
    if alone:
        print("  each rule run alone, with its own libcst traversal (positions included):")
        for step, seconds in alone:
            print(f"  {step:<36}{seconds:8.2f} s")


if __name__ == "__main__":
    print_profile(Path(sys.argv[1]), per_rule="--per-rule" in sys.argv)
