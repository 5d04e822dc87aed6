"""exportlint on Meta's real SAM3 (sam3==0.1.4), checked against what the exporters measured.

`examples/sam3_real/truth.json` is written by `benchmarks/sam3_truth.py`, which exports each
SAM3 component with both exporters and compares onnxruntime with eager PyTorch (no exportlint
rule or blame involved). The tests here hold scan and probe to that data, and re-measure it.
They need the `sam3` extra (`pip install -c constraints.txt -e ".[probe,test,sam3]"`, the
README's test command and CI's): like every test dependency, a missing SAM3 fails them, saying so.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRUTH = json.loads((ROOT / "examples" / "sam3_real" / "truth.json").read_text())
COMPONENTS = {c["component"]: c for c in TRUTH["components"]}


def _sam3_root() -> Path | None:
    spec = importlib.util.find_spec("sam3")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


SAM3 = _sam3_root()
_MISSING = 'sam3 is not installed: pip install -c constraints.txt -e ".[probe,test,sam3]"'


def _relative(path: str) -> str:
    real = os.path.realpath(path)
    assert SAM3 is not None
    return "sam3/" + os.path.relpath(real, os.path.realpath(SAM3)).replace(os.sep, "/")


def _exportlint(*args: str, timeout: float = 600) -> dict[str, Any]:
    run = subprocess.run([sys.executable, "-m", "exportlint", *args, "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert run.returncode in (0, 1), run.stderr[-2000:]
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def scan_findings() -> dict[tuple[str, int], list[dict[str, Any]]]:
    """The whole-package scan of the installed SAM3, findings by (sam3/relative path, line)."""
    assert SAM3 is not None, _MISSING
    data = _exportlint("scan", str(SAM3), "--no-cache")
    by_line: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        by_line.setdefault((_relative(finding["path"]), finding["line"]), []).append(finding)
    return by_line


def _failures() -> list[tuple[str, str, dict[str, Any]]]:
    return [(c["component"], exporter, result["site"])
            for c in TRUTH["components"] for exporter, result in c["exporters"].items()
            if result["outcome"] == "fails" and result.get("site")]


def test_the_truth_data_covers_the_three_components_of_the_field_report() -> None:
    entries = {c["entry"] for c in TRUTH["components"]}
    assert {"TransformerEncoderLayer.forward", "UniversalSegmentationHead.forward",
            "Sam3TrackerBase._prepare_memory_conditioned_features"} <= entries
    assert TRUTH["measured_with"]["sam3"] == "0.1.4"
    assert all(c["executed"] for c in TRUTH["components"])


@pytest.mark.parametrize(("component", "exporter", "site"), _failures(),
                         ids=[f"{c}-{e}" for c, e, _s in _failures()])
def test_scan_reports_each_measured_failure_as_an_error_for_that_exporter(
        scan_findings: dict[tuple[str, int], list[dict[str, Any]]], component: str, exporter: str,
        site: dict[str, Any]) -> None:
    found = scan_findings.get((site["path"], site["line"]), [])
    assert any(f["severity"] == "error" and f["exporters"][exporter] == "fails" for f in found), (
        f"{component}: {exporter} fails at {site['path']}:{site['line']} `{site['text']}`; "
        f"scan says {[(f['code'], f['severity'], f['exporters']) for f in found]}")


CLEAN = [name for name, c in COMPONENTS.items()
         if all(r["outcome"] == "ok" for r in c["exporters"].values())]


@pytest.mark.parametrize("component", CLEAN)
def test_no_scan_error_on_a_line_of_a_component_that_exports_and_matches(
        scan_findings: dict[tuple[str, int], list[dict[str, Any]]], component: str) -> None:
    executed = COMPONENTS[component]["executed"]
    wrong = [(path, line, f["code"], f["message"]) for path, lines in executed.items()
             for line in lines for f in scan_findings.get((path, line), [])
             if f["severity"] == "error"]
    assert wrong == []


@pytest.fixture(scope="module")
def probes() -> dict[str, dict[str, Any]]:
    """`exportlint probe --exporter both` of every factory in the truth data, run once."""
    assert SAM3 is not None, _MISSING
    return {name: _exportlint("probe", c["factory"], "--exporter", "both", timeout=900)
            for name, c in COMPONENTS.items()}


@pytest.mark.ort
@pytest.mark.slow
@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_probe_agrees_with_the_measured_exports(probes: dict[str, dict[str, Any]],
                                                component: str) -> None:
    truth = COMPONENTS[component]
    data = probes[component]
    target = data["targets"][0]
    assert target["error"] is None
    cleared = {e for e, r in truth["exporters"].items() if r["outcome"] == "ok"}
    assert set(target["cleared"]) == cleared
    errors = {(_relative(f["path"]), f["line"]) for f in data["findings"] if f["severity"] == "error"}
    sites = {(r["site"]["path"], r["site"]["line"]) for r in truth["exporters"].values()
             if r["outcome"] == "fails" and r.get("site")}
    assert sites <= errors
    if not sites:
        assert errors == set()


@pytest.mark.ort
@pytest.mark.slow
def test_the_truth_data_is_what_the_exporters_do_today() -> None:
    run = subprocess.run([sys.executable, "benchmarks/sam3_truth.py"], cwd=ROOT,
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"{len(COMPONENTS)}/{len(COMPONENTS)} components unchanged" in run.stdout


def _fix(factory: str, out: Path) -> tuple[int, dict[str, Any]]:
    run = subprocess.run([sys.executable, "-m", "exportlint", "fix", factory, "--out", str(out),
                          "--name", "component", "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    report = out / "component_report.json"
    assert report.exists(), run.stderr[-2000:]
    return run.returncode, json.loads(report.read_text())


@pytest.mark.ort
@pytest.mark.slow
@pytest.mark.parametrize("component", ["encoder-layer", "segmentation-head", "segmentation-head-1-image",
                                       "memory-attention"])
def test_fix_verifies_the_components_that_export(component: str, tmp_path: Path) -> None:
    assert SAM3 is not None, _MISSING
    code, report = _fix(COMPONENTS[component]["factory"], tmp_path)
    assert code == 0 and report["ok"] and not report["manual"]
    verdicts = {v["exporter"]: v for v in report["exporters"]}
    assert set(verdicts) == {"dynamo", "legacy"}
    for verdict in verdicts.values():
        assert verdict["cases"] and all(c["ok"] for c in verdict["cases"])
    # The fixers rewrote SAM3's own class file, and the wrapper imports the class from SAM3.
    source = (tmp_path / "component_export.py").read_text()
    assert "# The model's classes and functions, from the modules that define them.\nfrom sam3.model." in source


@pytest.mark.ort
@pytest.mark.slow
def test_fix_names_the_tracker_statement_it_cannot_rewrite(tmp_path: Path) -> None:
    assert SAM3 is not None, _MISSING
    code, report = _fix(COMPONENTS["tracker-memory"]["factory"], tmp_path)
    assert code == 1 and not report["ok"]
    [item] = report["manual"]
    assert (item["path"], item["rule"]) == ("sam3/model/sam3_tracker_base.py", "dict-access")
    assert item["symbol"] == "Sam3TrackerBase._prepare_memory_conditioned_features"
    assert item["reason"].startswith("`output_dict` (dict of 2 dicts) cannot be a graph input")
