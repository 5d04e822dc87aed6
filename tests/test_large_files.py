"""Large files: parsed in pieces they give the module, positions and findings of a whole parse,
and no module class of a long file goes unanalysed."""

from __future__ import annotations

import ast
import json
import textwrap
from pathlib import Path

import libcst as cst
import pytest

import exportlint.source
from exportlint import chunks
from exportlint.chunks import parse_in_pieces, split_lines
from exportlint.config import Config
from exportlint.scan import scan_paths
from exportlint.source import outline, parse_source

_TRICKY = textwrap.dedent(
    '''\
    """A module whose top-level statements are surrounded by everything a cut could break."""
    # a comment right after the docstring
    import torch
    from torch import nn

    # comment between imports and a decorator, then blank lines


    @torch.no_grad()
    @staticmethod
    def helper(x):  # trailing comment
        return x + 1
        # an indented comment after the last statement of a function

    # a comment at column 0 before a class
    class Block(nn.Module):
        scale = 2

        def forward(self, x):
            if x.sum() > 0:
                x = x * self.scale
            return helper(x)
    x = 1; y = 2
    if True:
        z = 3
    # the last comment
    '''
)


def _pieces_of(text: str, monkeypatch: pytest.MonkeyPatch, size: int) -> cst.Module:
    monkeypatch.setattr(chunks, "CHUNK_CHARS", size)
    return parse_in_pieces(text, ast.parse(text))


@pytest.mark.parametrize("size", [1, 40, 120, 400])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_pieces_join_into_the_whole_parse(monkeypatch: pytest.MonkeyPatch, size: int, newline: str) -> None:
    text = _TRICKY.replace("\n", newline)
    whole = cst.parse_module(text)
    joined = _pieces_of(text, monkeypatch, size)
    assert joined.code == text
    assert joined.deep_equals(whole)


def test_a_small_piece_size_really_cuts_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 40)
    starts = split_lines(ast.parse(_TRICKY), _TRICKY)
    pieces = chunks._pieces(_TRICKY, starts)
    assert len(pieces) >= 4
    assert "".join(pieces) == _TRICKY
    for piece in pieces:
        cst.parse_module(piece)  # every piece is a module on its own


def test_split_lines_start_at_decorators_and_skip_statements_sharing_a_line() -> None:
    starts = split_lines(ast.parse(_TRICKY), _TRICKY)
    lines = _TRICKY.splitlines()
    decorator = lines.index("@torch.no_grad()") + 1
    assert decorator in starts  # the first decorator starts the function, not `def`
    assert decorator + 1 not in starts and decorator + 2 not in starts
    y_line = next(i for i, line in enumerate(lines, 1) if line.startswith("x = 1; y = 2"))
    assert starts.count(y_line) == 1  # `y = 2` shares the line of `x = 1`: one start


def test_a_form_feed_keeps_the_text_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "import torch\n\x0c\ndef f(x):\n    return x\n\nclass A:\n    pass\n"
    monkeypatch.setattr(chunks, "CHUNK_CHARS", 1)
    assert chunks._pieces(text, split_lines(ast.parse(text), text)) == [text]
    joined = parse_in_pieces(text, ast.parse(text))
    assert joined.code == text and joined.deep_equals(cst.parse_module(text))


def test_pieces_with_different_indents_fall_back_to_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "def f(x):\n  return x\n\ndef g(x):\n    return x\n"
    joined = _pieces_of(text, monkeypatch, 1)
    whole = cst.parse_module(text)
    assert joined.default_indent == whole.default_indent == "  "
    assert joined.deep_equals(whole)


def _real_files() -> list[Path]:
    import torch.nn.modules

    folder = Path(torch.nn.modules.__file__).parent
    return [folder / name for name in ("conv.py", "activation.py", "rnn.py")]


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_real_files_join_and_scan_the_same_in_pieces(monkeypatch: pytest.MonkeyPatch, path: Path, tmp_path: Path) -> None:
    text = path.read_text()
    whole = cst.parse_module(text)
    joined = _pieces_of(text, monkeypatch, 2000)
    assert joined.code == text and joined.deep_equals(whole)

    copy = tmp_path / path.name
    copy.write_text(text)
    def findings() -> list[tuple[int, int, str, str]]:
        return [(f.location.line, f.location.column, f.code, f.message) for f in _findings(copy)]

    expected = findings()  # the file is smaller than LARGE_CHARS: one parse
    calls: list[int] = []

    def counted(text: str, syntax: ast.Module) -> cst.Module:
        calls.append(len(text))
        return parse_in_pieces(text, syntax)

    monkeypatch.setattr(exportlint.source, "LARGE_CHARS", 0)
    monkeypatch.setattr(exportlint.source, "parse_in_pieces", counted)
    assert findings() == expected
    assert calls == [len(text)]  # the scan really parsed it in pieces
    assert expected, "the file should have findings to compare"


def test_outline_keeps_class_members_and_their_lines() -> None:
    tree = outline(ast.parse(_TRICKY))
    cls = next(s for s in tree.body if isinstance(s, ast.ClassDef))
    forward = next(m for m in cls.body if isinstance(m, ast.FunctionDef))
    assert [type(s) for s in forward.body] == [ast.Pass]
    assert forward.lineno == _TRICKY.splitlines().index("    def forward(self, x):") + 1
    # positions computed from the outline are those of a full parse
    source = parse_source("m.py", _TRICKY, checked=True, syntax=tree)
    full = parse_source("m.py", _TRICKY)
    ifs = [n for n in _walk(source.module) if isinstance(n, cst.If)]
    full_ifs = [n for n in _walk(full.module) if isinstance(n, cst.If)]
    assert [source.position(n) for n in ifs] == [full.position(n) for n in full_ifs]


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found = [node]
    for child in node.children:
        found.extend(_walk(child))
    return found


def test_every_class_of_a_file_with_hundreds_of_them_is_analysed(tmp_path: Path) -> None:
    blocks = "".join(
        f"\n\nclass Block{i}(nn.Module):\n    def forward(self, x):\n        if x.sum() > 0:\n            x = x * 2\n        return x\n"
        for i in range(450)
    )
    path = tmp_path / "generated.py"
    path.write_text("import torch\nfrom torch import nn\n" + blocks)
    symbols = {f.symbol for f in _findings(path)}
    assert {f"Block{i}.forward" for i in range(450)} <= symbols


def _findings(path: Path) -> list:
    return [f for result in scan_paths([path], Config(cache=False, jobs=1)) for f in result.findings]
