"""Injected submodules named across files: a builder in another file passes the class in.

The package in tests/injected_pkg is written the way SAM3's model_builder.py builds its layers:
a factory function returning the attention, a subclass taking the parameter through **kwargs,
and a dict splatted into the constructor from a function parameter.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exportlint.config import Config
from exportlint.model import Finding
from exportlint.scan import scan_paths

PACKAGE = Path(__file__).parent / "injected_pkg"


@pytest.fixture()
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(PACKAGE, tmp_path / "tree")
    monkeypatch.chdir(tmp_path / "tree")
    return Path("pkg")


def _findings(config: Config, root: Path) -> list[Finding]:
    return [f for r in scan_paths([root], config) for f in r.findings]


def _injected(findings: list[Finding], symbol: str) -> str:
    return next(f.message for f in findings if f.rule == "injected-module" and f.symbol == symbol)


def test_a_builder_in_another_file_names_the_class_and_what_its_code_has(package: Path) -> None:
    findings = _findings(Config(cache=False), package)
    # The errors the reached code really has: RotaryAttention's methods and the helper in rope.py.
    errors = sum(1 for f in findings if f.severity == "error" and (
        f.symbol.startswith("RotaryAttention.") or f.location.path.endswith("rope.py")))
    assert errors == 1
    layer = _injected(findings, "Layer.__init__")
    assert "Other files pass in RotaryAttention (pkg/attention.py: 1 error on the code it reaches; " \
           "built in pkg/builder.py (build_layer))" in layer
    assert "no construction of this class" not in layer
    net = _injected(findings, "Net.__init__")
    assert "PlainAttention (pkg/attention.py: no error or warning on the code it reaches; " \
           "built in pkg/builder.py (_net))" in net
    assert all(f.severity == "info" for f in findings if f.rule == "injected-module")


def test_a_rule_selection_names_the_class_without_counts(package: Path) -> None:
    layer = _injected(_findings(Config(cache=False, select=("EXL304",)), package), "Layer.__init__")
    assert "Other files pass in RotaryAttention (pkg/attention.py; built in pkg/builder.py (build_layer))" in layer


def test_a_warm_scan_names_the_same_classes(package: Path) -> None:
    cold = _findings(Config(), package)
    warm = _findings(Config(), package)
    assert (package / ".exportlint_cache").is_dir()
    assert [f.message for f in warm] == [f.message for f in cold]
    assert "RotaryAttention" in _injected(warm, "Layer.__init__")


def test_a_class_of_the_same_name_defined_elsewhere_is_not_linked(package: Path) -> None:
    other = Path("other.py")
    other.write_text("from torch import nn\n\n\nclass Layer(nn.Module):\n    def __init__(self, attn):\n"
                     "        super().__init__()\n\n\ndef make():\n    return Layer(attn=Marker())\n")
    findings = _findings(Config(cache=False), Path("."))
    layer = _injected(findings, "Layer.__init__")
    assert "Marker" not in layer and "RotaryAttention" in layer


def test_a_file_scanned_alone_keeps_the_plain_message(package: Path) -> None:
    layer = _injected(_findings(Config(cache=False), package / "layers.py"), "Layer.__init__")
    assert layer.endswith("(no construction of this class in the file shows which)")
