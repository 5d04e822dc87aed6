"""How much the per-submodule table costs compared with exporting each child once.

    python benchmarks/probe_submodules.py [--depth N] [TARGET ...]

For each target: one eager pass with forward hooks + exporting every child (both exporters,
with onnx.checker and onnxruntime parity on the perturbed inputs) — what `exportlint probe`
does — against a plain loop that exports each child once per exporter on the same inputs.
Prints both times and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exportlint.probe.blame import Context, forward_frame
from exportlint.probe.eager import run_eager
from exportlint.probe.options import ProbeOptions
from exportlint.probe.submodules import bind_settings, probe_children
from exportlint.target import load_target
from exportlint.verify import export_onnx

DEFAULT_TARGETS = [
    "examples/sam3_like/encoder.py:make",
    "examples/sam3_like/segmentation_head.py:make",
    "examples/sam3_like/tracker.py:make",
]


def time_table(spec: str, depth: int, folder: Path) -> tuple[float, int]:
    """Seconds for the eager pass with hooks plus `probe_children`, and the child count."""
    target = load_target(spec)
    start = time.perf_counter()
    eager = run_eager(target.module.eval(), target.args, target.kwargs, depth)
    ctx = Context(sources=(target.source,), forward=forward_frame(target.module),
                  executed=eager.executed)
    rows = probe_children(eager.children, ProbeOptions(spec, depth=depth), ctx, folder)
    return time.perf_counter() - start, len(rows)


def time_plain(spec: str, depth: int, folder: Path) -> float:
    """Seconds to export each child once per exporter (inputs recorded beforehand, untimed)."""
    target = load_target(spec)
    children = run_eager(target.module.eval(), target.args, target.kwargs, depth).children
    start = time.perf_counter()
    for child in children:
        module, args = bind_settings(child.module, child.args, child.kwargs)
        for exporter in ("dynamo", "legacy"):
            export_onnx(module, args, path=folder / f"{child.name}.{exporter}.onnx",
                        exporter=exporter)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    parser.add_argument("--depth", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        time_plain(DEFAULT_TARGETS[-1], 1, folder)  # warm-up: first exports pay imports
        total_table = total_plain = 0.0
        print(f"{'target':48} {'children':>8} {'table s':>8} {'plain s':>8} {'ratio':>6}")
        for spec in args.targets:
            plain = time_plain(spec, args.depth, folder)
            table, count = time_table(spec, args.depth, folder)
            total_table, total_plain = total_table + table, total_plain + plain
            print(f"{spec:48} {count:8d} {table:8.2f} {plain:8.2f} {table / plain:6.2f}")
        print(f"{'total':48} {'':8} {total_table:8.2f} {total_plain:8.2f} "
              f"{total_table / total_plain:6.2f}")


if __name__ == "__main__":
    main()
