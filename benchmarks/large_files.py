"""Does the cost of scanning one file grow linearly with its size? Generated files of 0.25 to 4 MB.

    python benchmarks/large_files.py                  # 0.25, 0.5, 1, 2 and 4 MB
    python benchmarks/large_files.py --sizes 0.25 1   # fewer sizes
    python benchmarks/large_files.py --checkout DIR   # the exportlint of another source tree

Each file is made of many small classes, as code generators write them: nn.Module subclasses
whose `forward` has an `if`, a loop, attribute reads and a helper call, configuration classes
and module-level helpers. Each size is scanned by `exportlint scan FILE --no-cache --jobs 1
--format json` in a fresh process, so the peak resident memory (`ru_maxrss`) is that size's
alone. Prints wall and CPU seconds, CPU seconds per MB (other load on the machine moves wall time
far more), peak MB and the ratio of each size's seconds per MB to the smallest size's, then PASS or
FAIL against the target: seconds per MB within 1.5x of the smallest size's at every size, and a
peak under 300 MB at 1 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = (0.25, 0.5, 1.0, 2.0, 4.0)
MAX_RATIO = 1.5  # seconds per MB of any size against the smallest size's
MAX_PEAK_MB_AT_1MB = 300.0

_HEADER = '''"""Generated layers (benchmark input for exportlint)."""

from __future__ import annotations

import torch
from torch import nn


class Gate0(nn.Module):
    """The base of the generated gates: each one derives from the one before."""

    threshold = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] > self.threshold:
            x = x[..., : self.threshold]
        return torch.sigmoid(x)
'''

_MODULE = '''

class Block{i}(nn.Module):
    """Generated block {i}."""

    def __init__(self, width: int = {width}, depth: int = {depth}, act: nn.Module | None = None) -> None:
        super().__init__()
        self.width = width
        self.scale = {scale}
        self.use_norm = {norm}
        self.act = act
        self.proj = nn.Linear(width, width)
        self.layers = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.proj(x) * self.scale
        if self.use_norm:
            h = self.norm(h)
        for layer in self.layers:
            h = self.act(layer(h)) + h
        if h.sum() > 0:
            h = h * 2
        return _helper{i}(h, self.width)
'''

_CONFIG = '''

class Config{i}:
    """Generated settings {i}."""

    name = "config_{i}"
    width = {width}
    depth = {depth}

    def build(self) -> Block{i}:
        return Block{i}(self.width, self.depth, act=nn.GELU())

    def describe(self) -> str:
        return f"{{self.name}}: {{self.width}}x{{self.depth}}"


class Gate{next}(Gate{i}):
    threshold = {width}
'''

_HELPER = '''

def _helper{i}(t: torch.Tensor, width: int) -> torch.Tensor:
    if width > {width}:
        t = t[:, :{width}]
    return torch.relu(t)
'''


@dataclass
class Measured:
    """One size's scan: wall and CPU seconds, peak resident MB, findings, and the error it reported."""

    mb: float
    seconds: float
    cpu: float
    peak_mb: float
    findings: int
    error: str

    @property
    def per_mb(self) -> float:
        """CPU seconds per MB: other load on the machine moves wall time much more."""
        return self.cpu / self.mb


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=list(SIZES), help="file sizes in MB")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="the exportlint source tree to run (default: this one; e.g. a `git worktree` of an older commit)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="exportlint-large-") as tmp:
        for size in sorted(args.sizes):
            path = Path(tmp) / f"generated_{size:g}mb.py"
            path.write_text(generate(int(size * 1e6)))
            rows.append(scan_alone(path, args.checkout))
            print(f"  {rows[-1].mb:.2f} MB scanned in {rows[-1].seconds:.1f} s", file=sys.stderr, flush=True)
    return _print_table(rows)


def generate(size: int) -> str:
    """Python source of about `size` bytes: helpers, modules taking an injected activation, the
    configurations that build them, and one chain of nn.Module subclasses (`Gate<i+1>(Gate<i>)`)."""
    parts = [_HEADER]
    total = len(_HEADER)
    i = 0
    while total < size:
        width, depth = 16 + i % 48, 1 + i % 4
        block = (
            _HELPER.format(i=i, width=width)
            + _MODULE.format(i=i, width=width, depth=depth, scale=1 + i % 3, norm=i % 2 == 0)
            + _CONFIG.format(i=i, next=i + 1, width=width, depth=depth)
        )
        parts.append(block)
        total += len(block)
        i += 1
    return "".join(parts)


_CHILD = """
import json, resource, sys, time, io, contextlib
from exportlint.cli import main
out = io.StringIO()
start, cpu_start = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(out):
    code = main(["scan", sys.argv[1], "--no-cache", "--jobs", "1", "--format", "json"])
seconds = time.perf_counter() - start
cpu = time.process_time() - cpu_start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"code": code, "seconds": seconds, "cpu": cpu, "peak_kb": peak, "report": out.getvalue()}))
"""


def scan_alone(path: Path, checkout: Path = ROOT) -> Measured:
    """Scan one file in a fresh Python process (exportlint from `checkout`); its peak memory and times."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    # cwd: not a source tree, so `-c` imports exportlint from `checkout` only
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], env=env, cwd=path.parent, capture_output=True,
                          text=True, check=False)
    mb = path.stat().st_size / 1e6
    if proc.returncode != 0:
        return Measured(mb, float("nan"), float("nan"), float("nan"), 0, proc.stderr.strip().splitlines()[-1:][0] if proc.stderr else "")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    findings, error = _read_report(result["report"])
    return Measured(mb, result["seconds"], result["cpu"], result["peak_kb"] / 1024, findings, error)


def _read_report(report: str) -> tuple[int, str]:
    try:
        data = json.loads(report)
    except json.JSONDecodeError:
        return 0, "unreadable report"
    findings = data.get("findings", []) if isinstance(data, dict) else data
    errors = data.get("errors", []) if isinstance(data, dict) else []
    first = errors[0] if errors else ""
    return len(findings), first.get("message", str(first)) if isinstance(first, dict) else str(first)


def _print_table(rows: list[Measured]) -> int:
    reference = rows[0].per_mb
    header = (f"{'MB':>6}{'wall s':>9}{'CPU s':>9}{'CPU s/MB':>10}{'vs ' + format(rows[0].mb, '.2f') + ' MB':>13}"
              f"{'peak MB':>9}{'findings':>10}")
    print(f"\nexportlint scan of one generated file, fresh process per size, Python {sys.version.split()[0]}")
    print(header)
    print("-" * len(header))
    for row in rows:
        line = (f"{row.mb:>6.2f}{row.seconds:>9.2f}{row.cpu:>9.2f}{row.per_mb:>10.2f}{row.per_mb / reference:>12.2f}x"
                f"{row.peak_mb:>9.0f}{row.findings:>10}")
        print(line + (f"  error: {row.error}" if row.error else ""))
    failures = _failures(rows, reference)
    target = f"CPU s/MB within {MAX_RATIO}x of the smallest size's, peak < {MAX_PEAK_MB_AT_1MB:.0f} MB at 1 MB"
    print(f"{'FAIL' if failures else 'PASS'} ({target})" + "".join(f"\n  {f}" for f in failures))
    return 1 if failures else 0


def _failures(rows: list[Measured], reference: float) -> list[str]:
    failures = []
    for row in rows:
        if row.error or row.cpu != row.cpu:
            failures.append(f"{row.mb:.2f} MB: {row.error or 'the scan failed'}")
        elif row.per_mb / reference > MAX_RATIO:
            failures.append(f"{row.mb:.2f} MB: {row.per_mb / reference:.2f}x the seconds per MB of {rows[0].mb:.2f} MB")
        if abs(row.mb - 1.0) < 0.05 and not row.peak_mb < MAX_PEAK_MB_AT_1MB:
            failures.append(f"{row.mb:.2f} MB: peak {row.peak_mb:.0f} MB")
    return failures


if __name__ == "__main__":
    sys.exit(main())
