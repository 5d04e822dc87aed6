"""What one `exportlint probe` of a small module costs against exporting it once with each exporter.

    python benchmarks/probe_speed.py                    # the bundled small modules, 3 repetitions
    python benchmarks/probe_speed.py --reps 5 TARGET    # other targets

The reference is a plain script in a fresh interpreter that imports torch, builds the target
with its factory and calls `torch.onnx.export(..., dynamo=True)` and `torch.onnx.export(...,
dynamo=False)` once each, to a temporary folder, checking nothing: what a user pays to find
out by hand whether the module exports. The probe is `exportlint probe TARGET --exporter both
--format json` (its defaults otherwise: eager run, torch.export, both ONNX exports, onnx.checker,
onnxruntime parity on the perturbed inputs, the per-submodule table at depth 1, the static
completion), also from a fresh interpreter, and once more with `--depth 0`. Prints the median
wall seconds of each and their ratio to the reference; the target is a probe (without the
per-submodule table) within 2x of the reference. Other load on the machine moves both sides.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TARGETS = ["examples/other/clean_block.py:make", "tests/probe_cases/two_blockers.py:make"]
TARGET_RATIO = 2.0

_PLAIN = '''
import sys, warnings, logging
sys.path.insert(0, {root!r})
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import torch
from exportlint.target import load_target
target = load_target({spec!r})
module = target.module.eval()
for dynamo, name in ((True, "d.onnx"), (False, "l.onnx")):
    try:
        torch.onnx.export(module, tuple(target.args), {folder!r} + "/" + name,
                          kwargs=dict(target.kwargs) or None, dynamo=dynamo)
    except Exception as error:
        print(type(error).__name__, file=sys.stderr)
'''


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    parser.add_argument("--reps", type=int, default=3)
    options = parser.parse_args(argv)
    rows = []
    for spec in options.targets:
        with tempfile.TemporaryDirectory() as folder:
            plain = [sys.executable, "-c", _PLAIN.format(root=str(ROOT), spec=spec, folder=folder)]
            probe = [sys.executable, "-m", "exportlint", "probe", spec, "--exporter", "both",
                     "--format", "json"]
            times = {"plain": [], "probe": [], "probe --depth 0": []}
            for _ in range(options.reps):
                times["plain"].append(timed(plain))
                times["probe"].append(timed(probe))
                times["probe --depth 0"].append(timed([*probe, "--depth", "0"]))
        medians = {k: statistics.median(v) for k, v in times.items()}
        rows.append((spec, medians))
    print(f"{'target':45} {'plain s':>8} {'probe s':>8} {'ratio':>6} {'depth 0 s':>9} {'ratio':>6}")
    worst = 0.0
    for spec, m in rows:
        ratio, ratio0 = m["probe"] / m["plain"], m["probe --depth 0"] / m["plain"]
        worst = max(worst, ratio0)
        print(f"{spec:45} {m['plain']:8.1f} {m['probe']:8.1f} {ratio:5.2f}x {m['probe --depth 0']:9.1f} "
              f"{ratio0:5.2f}x")
    verdict = "PASS" if worst <= TARGET_RATIO else "FAIL"
    print(f"{verdict}: probe --depth 0 within {TARGET_RATIO:g}x of one plain dynamo + legacy export "
          f"(worst {worst:.2f}x)")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
