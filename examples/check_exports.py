"""Export every bundled example with both ONNX exporters and record what really happens.

For each case (an example factory, or an isolated pattern from `site_probes.py`) and each
exporter (`torch.onnx.export(dynamo=True)` and `dynamo=False`):

1. export on the example inputs, run `onnx.checker`, load the graph in onnxruntime;
2. compare onnxruntime with eager on the example inputs, on other values and on inputs that
   flip each data-dependent decision (a mismatch is *wrong*);
3. compare on flipped Python flags and on another memory layout (a mismatch or a graph that
   cannot take the input is *specialized*: those were constants of the export);
4. export again with the batch-like axes declared dynamic and compare on another size (a
   failure or a mismatch is *specialized*: the example's shape is baked in).

Inputs are fed by name, because the legacy exporter drops inputs it did not use.

Usage: python examples/check_exports.py [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.export_cases import CASES, Case, Check, load
from examples.onnx_harness import compare, describe_error, eager, export, run_graph

RANK = {"ok": 0, "specialized": 1, "wrong": 2, "fails": 3}
MISMATCH = {"example": "wrong", "values": "wrong", "decision": "wrong"}  # else "specialized"


@dataclass
class Result:
    """The worst outcome seen for one exporter, with the evidence for each step."""

    outcome: str = "ok"
    notes: list[str] = field(default_factory=list)

    def add(self, outcome: str, note: str) -> None:
        if RANK[outcome] > RANK[self.outcome]:
            self.outcome = outcome
        self.notes.append(note)


def check_graph(path: str, module: Any, check: Check, legacy: bool, result: Result) -> None:
    """Compare one check's input on the graph with eager and record the outcome."""
    bad = MISMATCH.get(check.kind, "specialized")
    try:
        want = eager(module, check.args)
    except Exception as exc:  # noqa: BLE001 - eager failure is evidence, not a crash
        outcome = "fails" if check.kind == "example" else "ok"  # else: not a valid input
        result.add(outcome, f"{check.label}: eager fails: {describe_error(exc)}")
        return
    try:
        got = run_graph(path, module, check.args, legacy)
    except Exception as exc:  # noqa: BLE001
        result.add(bad, f"{check.label}: graph cannot run it: {describe_error(exc)}")
        return
    ok, detail = compare(want, got)
    result.add("ok" if ok else bad, f"{check.label}: {'matches' if ok else 'DIFFERS'} ({detail})")


def run_exporter(case: Case, exporter: str, tmp: str) -> Result:
    """Export one case with one exporter and run all its checks."""
    import onnx

    module, args = load(case.target)
    checks = case.checks(module, args)
    result, legacy = Result(), exporter == "legacy"
    path = f"{tmp}/{exporter}.onnx"
    try:
        for note in export(module, args, exporter, path, None):
            result.notes.append(note)
        onnx.checker.check_model(path, full_check=True)
    except Exception as exc:  # noqa: BLE001 - a failed export is the measurement
        result.add("fails", f"export fails: {describe_error(exc)}")
        return result
    for check in [c for c in checks if c.kind != "size"]:
        check_graph(path, module, check, legacy, result)
    sized = [c for c in checks if c.kind == "size"]
    if sized and case.dynamic:
        run_sized(case, module, args, exporter, f"{tmp}/{exporter}_dyn.onnx", sized, result)
    return result


def run_sized(
    case: Case,
    module: Any,
    args: tuple[Any, ...],
    exporter: str,
    path: str,
    sized: list[Check],
    result: Result,
) -> None:
    """Export with dynamic batch-like axes and compare on other sizes."""
    try:
        export(module, args, exporter, path, case.dynamic)
    except Exception as exc:  # noqa: BLE001
        result.add("specialized", f"dynamic-axes export fails: {describe_error(exc)}")
        return
    for check in sized:
        check_graph(path, module, check, exporter == "legacy", result)


def _quiet() -> None:
    import logging

    import onnxruntime as ort

    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    ort.set_default_logger_severity(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose target contains this")
    opts = parser.parse_args(argv)
    _quiet()
    summary: list[tuple[str, str, str]] = []
    for case in [c for c in CASES if opts.only in c.target]:
        print(f"\n## {case.target}  ({case.note})")
        outcomes = []
        for exporter in ("dynamo", "legacy"):
            with tempfile.TemporaryDirectory() as tmp:
                res = run_exporter(case, exporter, tmp)
            outcomes.append(res.outcome)
            print(f"  {exporter:<7} {res.outcome.upper()}")
            for note in res.notes:
                print(f"            - {note}")
        summary.append((case.target, *outcomes))
    print("\n| case | dynamo | legacy |\n|---|---|---|")
    for target, dyn, leg in summary:
        print(f"| `{target}` | {dyn} | {leg} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
