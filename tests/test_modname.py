"""Dotted module names from `__init__.py` chains, as scan, probe and fix use them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from exportlint.modname import module_name, module_names, module_path


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    """top/pkg/sub are packages; top/pkg/ns is a namespace directory (no `__init__.py`) inside one."""
    sub = tmp_path / "top" / "pkg" / "sub"
    sub.mkdir(parents=True)
    for folder in (tmp_path / "top", tmp_path / "top" / "pkg", sub):
        (folder / "__init__.py").write_text("")
    (sub / "model.py").write_text("")
    (tmp_path / "top" / "pkg" / "ns").mkdir()
    (tmp_path / "top" / "pkg" / "ns" / "inner.py").write_text("")
    (tmp_path / "loose.py").write_text("")
    return tmp_path


def test_nested_packages_name_every_level(tree: Path) -> None:
    sub = tree / "top" / "pkg" / "sub"
    assert module_name(sub / "model.py") == "top.pkg.sub.model"
    assert module_name(sub / "__init__.py") == "top.pkg.sub"
    assert module_path(sub / "model.py").root == Path(os.path.realpath(tree))
    assert module_path(sub / "model.py").parts == ("top", "pkg", "sub", "model")


def test_a_file_outside_any_package_is_its_stem(tree: Path) -> None:
    assert module_name(tree / "loose.py") == "loose"
    assert module_path(tree / "loose.py").root == Path(os.path.realpath(tree))


def test_a_namespace_directory_ends_the_chain(tree: Path) -> None:
    inner = tree / "top" / "pkg" / "ns" / "inner.py"
    assert module_name(inner) == "inner"
    assert module_path(inner).root == Path(os.path.realpath(inner.parent))


def test_symlinks_are_named_where_they_point(tree: Path) -> None:
    sub = tree / "top" / "pkg" / "sub"
    (sub / "linked.py").symlink_to(tree / "loose.py")
    (tree / "alias").symlink_to(tree / "top" / "pkg", target_is_directory=True)
    assert module_name(sub / "linked.py") == "loose"
    assert module_name(tree / "alias" / "sub" / "model.py") == "top.pkg.sub.model"


def test_names_in_bulk_equal_names_one_by_one(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tree / "top" / "pkg")
    paths = [*sorted(tree.rglob("*.py")), Path("relative.py"), Path("sub/model.py")]
    names = module_names(paths)
    assert names == [module_name(p) for p in paths]
    assert names[-2:] == ["top.pkg.relative", "top.pkg.sub.model"]
