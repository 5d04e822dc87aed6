"""How fast `exportlint scan` is on real code nobody in this project wrote: the installed torch package.

    python benchmarks/scan_speed.py [--large] [--reps N] [--profile]

Copies the Python sources of `torch/nn/` (and with --large the whole `torch/` tree) to a
temporary folder, then times, median of several repetitions:
- `exportlint scan --no-cache` with `--jobs 1` and with all cores (cold);
- `exportlint scan` with the cache filled and nothing changed (warm), and after editing one file;
- TorchFix (`torchfix --select ALL`, the libcst-based PyTorch linter), installed by this script
  in its own virtual environment under ~/.cache so its pins never touch this environment;
- `ruff check --select ALL`, the speed of light for a linter written in Rust;
with the peak memory of each (every process of the command, summed), and prints one table.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Run, measure

ROOT = Path(__file__).resolve().parents[1]
TORCHFIX = "torchfix==0.7.0"
EDITED = ("modules/linear.py", "nn/modules/linear.py")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    torch_dir = _torch_dir()
    if torch_dir is None:
        print("torch is not installed: nothing to benchmark on (pip install -e '.[probe]')", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="exportlint-bench-") as tmp:
        trees = [_copy(torch_dir / "nn", Path(tmp) / "nn")]
        if args.large:
            trees.append(_copy(torch_dir, Path(tmp) / "torch"))
        if args.profile:
            from profile_scan import print_profile

            print_profile(trees[0])
        torchfix = None if args.no_torchfix else _torchfix()
        rows = []
        for tree in trees:
            big = tree.name == "torch"
            rows.extend(_bench_tree(tree, args.reps if not big else args.large_reps, torchfix,
                                    args.reference_reps if not big else 1))
        _print_table(rows, torchfix)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--large", action="store_true", help="also the whole torch/ tree (tens of minutes)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions of each exportlint/ruff command")
    parser.add_argument("--large-reps", type=int, default=3, help="repetitions on the whole torch/ tree")
    parser.add_argument("--reference-reps", type=int, default=3, help="TorchFix repetitions on torch/nn")
    parser.add_argument("--no-torchfix", action="store_true", help="skip TorchFix (no network, or in a hurry)")
    parser.add_argument("--profile", action="store_true", help="first print where a cold scan spends its time")
    return parser


def _torch_dir() -> Path | None:
    spec = importlib.util.find_spec("torch")  # finds torch without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _copy(source: Path, target: Path) -> Path:
    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if not (n.endswith((".py", ".pyi")) or (Path(folder) / n).is_dir()) or n == "__pycache__"]

    shutil.copytree(source, target, ignore=ignore)
    return target


def _size(tree: Path) -> tuple[int, float]:
    files = [p for p in tree.rglob("*") if p.suffix in (".py", ".pyi") and ".exportlint_cache" not in p.parts]
    return len(files), sum(p.stat().st_size for p in files) / 1e6


def _torchfix() -> Path | None:
    """TorchFix in its own virtual environment, created once under the user's cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "exportlint-bench"
    venv = cache / f"{TORCHFIX.replace('==', '-')}-py{sys.version_info[0]}{sys.version_info[1]}"
    exe = venv / "bin" / "torchfix"
    if not exe.exists():
        print(f"installing {TORCHFIX} into {venv} ...", file=sys.stderr)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", TORCHFIX], check=True)
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"TorchFix could not be installed ({e}); its rows are left out", file=sys.stderr)
            shutil.rmtree(venv, ignore_errors=True)
            return None
    return exe


def _bench_tree(tree: Path, reps: int, torchfix: Path | None, reference_reps: int) -> list[tuple[Path, Run]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    scan = [sys.executable, "-m", "exportlint", "scan", str(tree)]
    subprocess.run([*scan[:-1], str(tree / "__init__.py"), "--no-cache"], env=env, capture_output=True, check=False)
    edited = next((tree / e for e in EDITED if (tree / e).exists()), None)

    def edit(i: int) -> None:
        if edited is not None:
            with edited.open("a") as f:
                f.write(f"\n# exportlint benchmark edit {i}\n")

    runs = [
        measure("exportlint, cold, 1 job", [*scan, "--no-cache", "--jobs", "1"], reps, env),
        measure("exportlint, cold, all cores", [*scan, "--no-cache"], reps, env),
    ]
    subprocess.run(scan, env=env, capture_output=True, check=False)  # fill the cache
    runs.append(measure("exportlint, warm (nothing changed)", scan, reps, env))
    runs.append(measure(f"exportlint, warm, {edited.name if edited else 'no file'} edited", scan, reps, env, edit))
    if torchfix is not None:
        runs.append(measure("TorchFix --select ALL", [str(torchfix), "--select", "ALL", str(tree)], reference_reps))
    ruff = [sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--select", "ALL", "--exit-zero"]
    if importlib.util.find_spec("ruff") is not None:
        runs.append(measure("ruff check --select ALL", [*ruff, str(tree)], reps))
    return [(tree, r) for r in runs]


def _print_table(rows: list[tuple[Path, Run]], torchfix: Path | None) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"\nexportlint scan speed — {cores} cores, Python {sys.version.split()[0]}, median of the repetitions")
    header = f"{'tree':<9}{'command':<40}{'reps':>5}{'median s':>10}{'range s':>16}{'s/MB':>7}{'peak MB':>9}  vs TorchFix"
    print(header)
    print("-" * len(header))
    for tree in dict.fromkeys(t for t, _ in rows):
        files, mb = _size(tree)
        runs = [r for t, r in rows if t == tree]
        reference = next((r.median for r in runs if r.label.startswith("TorchFix") and r.seconds), None)
        for run in runs:
            print(_row(f"{tree.name}/", run, mb, reference))
        print(f"{'':<9}({files} files, {mb:.1f} MB of Python)")
    print("peak MB: resident memory of the command and every process it started, summed (sampled every 20 ms, first repetition).")
    if torchfix is None:
        print("TorchFix was not run (--no-torchfix or it could not be installed).")


def _row(tree: str, run: Run, mb: float, reference: float | None) -> str:
    if run.failed or not run.seconds:
        return f"{tree:<9}{run.label:<40}  failed: {run.failed}"
    low, high = min(run.seconds), max(run.seconds)
    per_mb = f"{run.median / mb:7.2f}" if "cold" in run.label or "TorchFix" in run.label or "ruff" in run.label else " " * 7
    ratio = ""
    if reference and not run.label.startswith("TorchFix"):
        ratio = f"  {run.median / reference:.3f} (1/{reference / run.median:.0f})"
    digits = 0 if high >= 100 else 2
    spread = f"{low:.{digits}f}-{high:.{digits}f}"
    return f"{tree:<9}{run.label:<40}{len(run.seconds):>5}{run.median:>10.2f}{spread:>16}{per_mb}{run.peak_mb:>9.0f}{ratio}"


if __name__ == "__main__":
    sys.exit(main())
