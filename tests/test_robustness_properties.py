"""Property tests on generated Python: the scanner never raises and every position is in the file."""

from __future__ import annotations

import ast
import re
import textwrap
import warnings
from pathlib import Path

import hypothesmith
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from exportlint.config import Config
from exportlint.engine import scan_file
from exportlint.model import FileResult

HEADER = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n    def forward(self, x, flag=False):\n"
TAIL = "        if x.sum() > 0:\n            return x.item()\n        return x\n"
PATH = Path("generated_model.py")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def parses(source: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def in_forward(code: str) -> str:
    """Generated statements as the body of a module's forward, followed by a known finding."""
    return HEADER + textwrap.indent(code, " " * 8, lambda line: True) + "\n" + TAIL


def scan(source: str) -> FileResult:
    return scan_file(PATH, Config(), frozenset({"M"}), data=source.encode("utf-8"))


def assert_positions_inside(result: FileResult, source: str) -> None:
    """No exception was caught inside the analysis, and every finding points into the file."""
    assert [f.message for f in result.findings if f.code == "EXL000"] == []
    # Python's line ends only: str.splitlines() would also break at form feeds and the like.
    lines = re.split(r"\r\n|\r|\n", source)
    for f in result.findings:
        loc = f.location
        assert 1 <= loc.line <= len(lines), f
        assert 0 <= loc.column <= len(lines[loc.line - 1]), f
        assert loc.line <= loc.end_line <= len(lines) + 1, f
        if loc.end_line == loc.line:
            assert loc.end_column >= loc.column, f
        if loc.end_line <= len(lines):
            assert loc.end_column <= len(lines[loc.end_line - 1]), f


@SETTINGS
@given(hypothesmith.from_grammar())
# a form feed in an indentation: CPython restarts the column count there, libcst's tokenizer does not
@example("\x0cx")
@example("\x0cif x:\n pass\n\t\r\n")
@example("# a\t\x0c\r\n\x0c\t# b\r\npass\n")
def test_generated_forward_bodies_never_raise(code: str) -> None:
    source = in_forward(code)
    assume(parses(source))
    result = scan(source)
    assert result.error is None, result.error
    assert_positions_inside(result, source)


@SETTINGS
@given(hypothesmith.from_node())
def test_generated_modules_next_to_a_model_never_raise(code: str) -> None:
    source = code.rstrip("\\\n") + "\n\n" + HEADER + TAIL
    assume(parses(source))
    result = scan(source)
    assert result.error is None, result.error
    assert_positions_inside(result, source)


BREAKERS = ["(", ")", "def", ":", "=", "class x(", "]", "lambda", "@", "\\", "'''", "return return"]


@SETTINGS
@given(hypothesmith.from_grammar(), st.integers(min_value=0), st.sampled_from(BREAKERS))
def test_broken_sources_are_syntax_errors_not_crashes(code: str, where: int, breaker: str) -> None:
    source = in_forward(code)
    cut = where % (len(source) + 1)
    broken = source[:cut] + " " + breaker + " " + source[cut:]
    assume(not parses(broken))
    result = scan(broken)
    assert result.findings == ()
    assert result.error is not None and ("syntax error" in result.error or "nested" in result.error), result.error


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_is_a_result_never_an_exception(text: str) -> None:
    result = scan(text)
    if parses(text):
        assert_positions_inside(result, text)
    else:
        assert result.error is not None


def test_a_form_feed_in_an_indentation_is_read_as_cpython_reads_it() -> None:
    # CPython counts the indentation from the last form feed: the statement after it is in forward
    source = HEADER + "        \x0c        y = x.cuda()\n" + TAIL
    assert parses(source)
    result = scan(source)
    assert result.error is None
    lines = sorted((f.rule, f.location.line) for f in result.findings if f.rule == "hardcoded-device")
    assert lines == [("hardcoded-device", 7)]
