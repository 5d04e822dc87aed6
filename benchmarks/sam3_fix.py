"""`exportlint fix` on each real-SAM3 factory of `examples/sam3_real/`: what verifies, how closely.

    python benchmarks/sam3_fix.py              # every component of examples/sam3_real/truth.json
    python benchmarks/sam3_fix.py --keep DIR   # keep the wrappers, ONNX files and reports in DIR

For each component it runs `exportlint fix FACTORY --format json` (both exporters, the default)
into a temporary folder and prints one row: the exit code, per exporter the worst max abs
error of onnxruntime against eager PyTorch over every verification case (or why it failed),
the number of files whose code the wrapper rewrote, and the first manual-work item. The
reference is the eager original: a row passes only when every case of both exporters matched.
Needs the `sam3` extra (`pip install -c constraints.txt -e ".[probe,sam3]"`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "examples" / "sam3_real" / "truth.json"


def fix(factory: str, out: Path) -> tuple[int, dict[str, Any], float]:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "exportlint", "fix", factory, "--out", str(out),
                          "--name", "component", "--format", "json", "--force"],
                         cwd=ROOT, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    report = out / "component_report.json"
    if not report.exists():
        return run.returncode, {"error": (run.stderr.strip().splitlines() or ["?"])[-1]}, seconds
    return run.returncode, json.loads(report.read_text()), seconds


def worst(report: dict[str, Any], exporter: str) -> str:
    verdict = next((v for v in report.get("exporters", []) if v["exporter"] == exporter), None)
    if verdict is None:
        return "-"
    if not verdict.get("export_ok", True) or not verdict["cases"]:
        return "export failed"
    errors = [o["max_abs"] for c in verdict["cases"] for o in c["outputs"]]
    bad = [c["case"] for c in verdict["cases"] if not c["ok"]]
    text = f"{max(errors):.1e}" if errors else "?"
    return f"{text} (differs: {', '.join(bad)})" if bad else text


def files(report: dict[str, Any]) -> int:
    paths = {n.get("path", "") for n in report.get("notes", []) if n["rule"] != "inputs"}
    return len(paths)


def manual(report: dict[str, Any]) -> str:
    items = report.get("manual", [])
    if not items:
        return report.get("error", "")
    first = items[0]
    return f"{first.get('path') or ''}:{first['line']} {first['rule']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", type=Path, help="write each component's files in DIR/<component>")
    options = parser.parse_args(argv)
    components = json.loads(TRUTH.read_text())["components"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = options.keep or Path(tmp)
        for c in components:
            print(f"  fixing {c['component']} ...", file=sys.stderr, flush=True)
            code, report, seconds = fix(c["factory"], base / c["component"])
            rows.append((c["component"], code, worst(report, "dynamo"), worst(report, "legacy"),
                         files(report), manual(report), seconds))
    header = ("component", "exit", "dynamo max abs", "legacy max abs", "files", "manual work", "s")
    widths = [max(len(str(r[i])) if i != 6 else 5 for r in [header, *rows]) for i in range(7)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        cells = [*map(str, row[:6]), f"{row[6]:.0f}"]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths)))
    passed = sum(1 for r in rows if r[1] == 0)
    print(f"{passed}/{len(rows)} components verified against eager on onnxruntime (both exporters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
