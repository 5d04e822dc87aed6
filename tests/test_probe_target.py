"""Tests of target loading: good factories, and one-line errors naming the target."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")

from exportlint.errors import ProbeError
from exportlint.probe.target import load_target, split_target

FACTORIES = '''
import torch

def good():
    return torch.nn.Linear(2, 2), (torch.ones(1, 2),)

def with_kwargs():
    return torch.nn.Linear(2, 2), [torch.ones(1, 2)], {}

def raises():
    raise ValueError("no weights here")

def four():
    return 1, 2, 3, 4

def not_module():
    return "model", (1,)

def bad_args():
    return torch.nn.Linear(2, 2), torch.ones(1, 2)
'''


@pytest.fixture()
def factories(tmp_path: Path) -> str:
    path = tmp_path / "factories_mod.py"
    path.write_text(FACTORIES)
    return str(path)


def test_file_target_builds_module_and_args(factories: str) -> None:
    target = load_target(f"{factories}:good")
    assert target.source == factories and len(target.args) == 1 and target.kwargs == {}
    assert load_target(f"{factories}:with_kwargs").args[0].shape == (1, 2)


def test_dotted_and_package_file_targets_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "probe_pkg_x"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(FACTORIES)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert load_target("probe_pkg_x.models:good").source == str(package / "models.py")
    by_file = load_target(f"{package / 'models.py'}:good")
    assert type(by_file.module).__module__ == "torch.nn.modules.linear"
    with pytest.raises(ProbeError, match=r"^json:dumps: the factory raised TypeError"):
        load_target("json:dumps")


@pytest.mark.parametrize(
    ("factory", "message"),
    [
        ("raises", r"the factory raised ValueError: no weights here$"),
        ("four", r"the factory returned a 4-item tuple; expected \(module, args\)"),
        ("not_module", r"returned a str as the module"),
        ("bad_args", r"args is a Tensor; make it a tuple"),
        ("missing", r"has no callable `missing`$"),
    ],
)
def test_bad_factories_give_one_line_naming_the_target(
    factories: str, factory: str, message: str
) -> None:
    with pytest.raises(ProbeError) as info:
        load_target(f"{factories}:{factory}")
    text = str(info.value)
    assert text.startswith(f"{factories}:{factory}: ") and "\n" not in text
    assert re.search(message, text)


def test_bad_target_syntax() -> None:
    with pytest.raises(ProbeError, match=r"FILE\.py:FACTORY"):
        split_target("model.py")
    with pytest.raises(ProbeError, match="no such file"):
        load_target("does/not/exist.py:make")
