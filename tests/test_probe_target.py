"""Tests of target loading: good factories, and one-line errors naming the target."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


from exportlint.errors import ProbeError
from exportlint.target import import_target, load_ref, load_target, parse_target, split_target

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


def test_relative_loose_and_dotted_refs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "case.in.py").write_text(FACTORIES)
    loose = parse_target("case.in.py:good", cwd=tmp_path)
    assert (loose.path, loose.module, loose.root) == ((tmp_path / "case.in.py").resolve(), None, None)
    assert load_ref(loose).module.in_features == 2
    assert import_target(loose).__name__ == loose.loose_name
    package = tmp_path / "tgt_pkg_y"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "models.py").write_text(FACTORIES)
    by_file = parse_target("tgt_pkg_y/models.py:good", cwd=tmp_path)
    assert (by_file.module, by_file.root) == ("tgt_pkg_y.models", tmp_path.resolve())
    monkeypatch.syspath_prepend(str(tmp_path))
    dotted = parse_target("tgt_pkg_y.models:good")
    assert (dotted.module, dotted.root, dotted.path) == ("tgt_pkg_y.models", None, by_file.path)
    with pytest.raises(ProbeError, match=r"^no_such_mod_z\.x:make: cannot find module no_such_mod_z\.x$"):
        parse_target("no_such_mod_z.x:make")


def test_an_import_error_is_one_line_naming_the_target(tmp_path: Path) -> None:
    (tmp_path / "broken_mod.py").write_text("import torch\nraise ImportError('no such op\\nsecond line')\n")
    spec = f"{tmp_path / 'broken_mod.py'}:make"
    with pytest.raises(ProbeError) as info:
        load_target(spec)
    assert str(info.value) == f"{spec}: importing `{tmp_path / 'broken_mod.py'}` failed: ImportError: no such op"


@pytest.mark.parametrize("factory", ["four", "missing", "raises", "not_module"])
def test_fix_builds_targets_with_the_same_messages_as_probe(factories: str, factory: str) -> None:
    from exportlint.fixers.pipeline.build import build_target

    spec = f"{factories}:{factory}"
    with pytest.raises(ProbeError) as probe_error:
        load_target(spec)
    with pytest.raises(ProbeError) as fix_error:
        build_target(spec, Path.cwd())
    assert str(fix_error.value) == str(probe_error.value)
