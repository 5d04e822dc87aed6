"""Did a change move any finding? The scan JSON of this checkout against a git revision's.

    python benchmarks/findings_unchanged.py                 # against origin/main, else main
    python benchmarks/findings_unchanged.py --ref HEAD~3    # any revision

Both versions scan the bundled examples and a copy of the installed torch's `torch/nn/` (real
code nobody in this project wrote) with `--format json --no-cache`, from the same directory so
the paths match. The reference runs from a temporary `git worktree` of `--ref`. Prints the count of
findings of each and every difference; exits 1 when anything differs. A restructuring is meant to
print `identical` for both trees.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ref", default=None, help="the git revision to compare with (default: origin/main or main)")
    args = parser.parse_args()
    ref = args.ref or _default_ref()
    with tempfile.TemporaryDirectory(prefix="exportlint-unchanged-") as tmp:
        work = Path(tmp)
        trees = {"examples": ROOT / "examples", "torch/nn": _copy_torch_nn(work / "src")}
        reference = work / "reference"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(reference), ref], check=True)
        try:
            return _compare(trees, reference, ref)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(reference)], check=False)


def _default_ref() -> str:
    for ref in ("origin/main", "main"):
        if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", ref],
                          capture_output=True, check=False).returncode == 0:
            return ref
    raise SystemExit("no --ref given and neither origin/main nor main exists")


def _copy_torch_nn(dest: Path) -> Path:
    import importlib.util

    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        raise SystemExit("torch is not installed: the torch/nn comparison needs its sources")
    source = Path(spec.origin).parent / "nn"
    for path in source.rglob("*.py"):
        target = dest / "nn" / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dest / "nn"


def _compare(trees: dict[str, Path], reference: Path, ref: str) -> int:
    differ = 0
    for label, tree in trees.items():
        new, old = _scan(ROOT, tree), _scan(reference, tree)
        same = new == old
        differ += not same
        print(f"{label}: {len(new['findings'])} findings here, {len(old['findings'])} at {ref}: "
              f"{'identical' if same else 'DIFFERENT'}")
        if not same:
            _print_differences(old, new)
    return 1 if differ else 0


def _scan(checkout: Path, tree: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, "-m", "exportlint", "scan", str(tree), "--format", "json", "--no-cache"],
                          cwd=tree.parent, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"scan of {tree} with {checkout} failed ({done.returncode}): {done.stderr.strip()[:500]}")
    report: dict[str, Any] = json.loads(done.stdout)
    report.pop("version", None)
    return report


def _print_differences(old: dict[str, Any], new: dict[str, Any]) -> None:
    def key(f: dict[str, Any]) -> str:
        return json.dumps(f, sort_keys=True)

    before, after = {key(f) for f in old["findings"]}, {key(f) for f in new["findings"]}
    for line in sorted(before - after)[:20]:
        print(f"  - {line}")
    for line in sorted(after - before)[:20]:
        print(f"  + {line}")
    if old["errors"] != new["errors"]:
        print(f"  errors: {old['errors']} -> {new['errors']}")


if __name__ == "__main__":
    sys.exit(main())
