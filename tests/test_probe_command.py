"""`exportlint probe` through `main(argv)`: JSON schema, exit codes and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exportlint.cli import main
from exportlint.axes import parse_dynamic
from exportlint.errors import ConfigError

CASES = Path(__file__).parent / "probe_cases"
SCAN_KEYS = {"rule", "code", "severity", "path", "line", "col", "end_line", "end_col", "symbol",
             "message", "hint", "origin", "exporter", "evidence"}


@pytest.mark.ort
def test_json_report_uses_the_scan_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["probe", f"{CASES / 'while_tensor.py'}:make", f"{CASES / 'bad_targets.py'}:four",
                 "--format", "json", "--depth", "1", "--jobs", "2", "--fx"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {f["rule"] for f in doc["findings"]} == {"dynamic-loop"}
    assert all(SCAN_KEYS <= set(f) and f["origin"] == "probe" for f in doc["findings"])
    assert {f["exporter"] for f in doc["findings"]} == {"dynamo", "legacy"}
    [target, bad] = doc["targets"]
    steps = {s["name"]: s for s in target["steps"]}
    assert next(iter(steps)) == "eager"
    assert (steps["fx.symbolic_trace"]["status"], steps["fx.symbolic_trace"]["line"]) == (
        "fails", 13)
    assert steps["onnx-legacy"]["status"] == "wrong" and target["submodules"] == []
    assert bad["error"] == doc["errors"][0]["message"]
    assert doc["errors"][0]["message"].endswith("has no callable `four`")
    assert doc["summary"]["failed_targets"] == 1


@pytest.mark.ort
@pytest.mark.parametrize("flags", [[], ["--no-static"]])
def test_a_blocker_after_the_first_comes_from_the_scan_unless_no_static(
        capsys: pytest.CaptureFixture[str], flags: list[str]) -> None:
    code = main(["probe", f"{CASES / 'two_blockers.py'}:make", "--format", "json", "--depth", "0",
                 *flags])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1
    probe = {(f["rule"], f["line"]) for f in findings if f["origin"] == "probe"}
    static = [f for f in findings if f["origin"] == "static"]
    assert probe == {("dynamic-branch", 16)}
    if flags:
        assert static == []
        return
    [cat] = static
    assert (cat["rule"], cat["line"], cat["severity"]) == ("variable-length-cat", 18, "error")
    # One path form for both origins (relative to the current directory when under it).
    assert {cat["path"]} == {f["path"] for f in findings if f["origin"] == "probe"}


@pytest.mark.ort
@pytest.mark.parametrize(("exporter", "expected"), [("dynamo", []), ("legacy", [("unsupported-op", 33)])])
def test_a_plugin_op_of_a_function_symbolic_fails_only_the_legacy_exporter(
        capsys: pytest.CaptureFixture[str], exporter: str, expected: list[tuple[str, int]]) -> None:
    code = main(["probe", f"{CASES / 'custom_op_symbolic.py'}:make", "--exporter", exporter,
                 "--format", "json", "--depth", "0"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["rule"], f["line"]) for f in findings] == expected
    assert code == (1 if expected else 0)


def test_no_target_and_bad_dynamic_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe"]) == 2
    assert "no target" in capsys.readouterr().err
    assert main(["probe", "x.py:make", "--dynamic", "x"]) == 2
    assert parse_dynamic(["x:0:batch", "feats_1:2"]) == {"x": {0: "batch"},
                                                         "feats_1": {2: "feats_1_dim2"}}


def test_missing_probe_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "onnxscript" else real(name, *a))
    assert main(["probe", "model.py:make"]) == 2
    assert "pip install 'exportlint[probe]'" in capsys.readouterr().err


def test_fix_reads_the_same_dynamic_syntax_and_the_earlier_one() -> None:
    from exportlint.fixers.pipeline.request import wire_dynamic

    assert parse_dynamic(["tgt:0", "x:0:batch", "y:1:batch"]) == {
        "tgt": {0: "tgt_dim0"}, "x": {0: "batch"}, "y": {1: "batch"}}
    assert parse_dynamic(["memory=0,1"]) == {"memory": {0: "memory_dim0", 1: "memory_dim1"}}
    assert wire_dynamic(parse_dynamic(["x:0:batch"])) == {"x": {"0": "batch"}}
    for bad in ("x", "x:a", "x=", "x:0:not a name", "=0"):
        with pytest.raises(ConfigError, match=r"expected INPUT:AXIS\[:NAME\], e.g. x:0:batch"):
            parse_dynamic([bad])
