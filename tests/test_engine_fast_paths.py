"""The shortcuts that make scans fast give exactly the results of the slow path."""

from __future__ import annotations

import ast
import dataclasses
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from exportlint.analysis import build_facts, classes
from exportlint.config import Config
from exportlint.cstwalk import nodes_in, walk
from exportlint.engine import _run_rule, _run_rules, selected_rules
from exportlint.scan import scan_paths
from exportlint.positions import Positions, node_span
from exportlint.prepass import is_torch_module_base, known_module_classes, may_define_module
from exportlint.progress import LineProgress
from exportlint.scheduler import cache_directory
from exportlint.source import parse_source


def example_sources(examples_dir: Path) -> list[str]:
    return [p.read_text() for p in sorted(examples_dir.rglob("*.py"))]


def assert_same_spans(source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    for node, r in expected.items():
        assert node_span(module, node) == (r.start.line, r.start.column, r.end.line, r.end.column), node
    assert_same_statement_spans(source)


def assert_same_statement_spans(source: str) -> None:
    """Spans found one top-level def/class at a time equal the whole-file pass, which is never run."""
    module = cst.parse_module(source)
    whole = Positions(module)
    by_statement = Positions(module, ast.parse(source), source)
    for stmt in module.body:
        if isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
            methods = [m for m in stmt.body.body if isinstance(m, cst.FunctionDef)] if isinstance(stmt, cst.ClassDef) else []
            for root in [*methods, stmt]:  # methods first: each is generated alone
                for node in nodes_in(root):
                    assert by_statement.span(node, root) == whole.span(node), (type(node).__name__, whole.span(node))
    assert not by_statement._complete


def test_positions_one_statement_at_a_time_with_decorators_comments_and_semicolons() -> None:
    assert_same_spans(
        "# header\n\nimport os; import sys\n\n\n# lead\n@dec(1)\n# between\n@ other . attr\n"
        "class A(B):\n    x: int = 1; y = 2\n    # lead\n    @property\n    def f(self): return 1\n\n"
        "    @staticmethod\n\n    # c\n    def g(a,\n          b):\n        if a:\n            return b\n    # end of class\n\n"
        "x = 1; y = (\n  2)\nif x:\n    pass\n\n@deco\n\nasync def g():\n    s = ('doc'\n         'string')\n"
        "    return [i for i in \\\n range(3)]\n"
    )


def test_positions_fall_back_to_the_whole_file_when_statement_lines_are_unsure() -> None:
    source = "@(\n    dec\n)\ndef f():\n    return 1\n"
    module = cst.parse_module(source)
    positions = Positions(module, ast.parse(source), source)
    ret = next(n for n in nodes_in(module) if isinstance(n, cst.Return))
    assert positions.span(ret, module.body[0]) == node_span(module, ret) == (5, 4, 5, 12)
    assert positions._complete


def test_positions_match_libcst_on_the_examples(examples_dir: Path) -> None:
    for source in example_sources(examples_dir):
        assert_same_spans(source)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_positions_match_libcst_with_other_line_ends(examples_dir: Path, newline: str) -> None:
    source = (examples_dir / "sam3_like" / "tracker.py").read_text()
    assert_same_spans(source.replace("\n", newline))


def test_positions_match_libcst_with_tabs_form_feeds_and_continuations() -> None:
    assert_same_spans("def f(a,\n      b):\n\tif a:  # c\n\t\treturn (a +\n\t\t        b)\n\x0c\n\treturn \\\n\t\tb\n")


def assume_libcst_parses(source: str) -> None:
    """Generated code libcst cannot parse (or only with a recursion error) is not a case here."""
    try:
        cst.parse_module(source)
    except (cst.ParserSyntaxError, RecursionError):
        assume(False)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_positions_match_libcst_on_generated_code(source: str) -> None:
    assume_libcst_parses(source)
    assert_same_spans(source)


def _module_classes(source: str, known: frozenset[str]) -> list[str]:
    return [c.name for c in build_facts(cst.parse_module(source), known).module_classes]


def test_files_skipped_by_the_ast_test_have_no_module_class(examples_dir: Path) -> None:
    sources = example_sources(examples_dir)
    known = known_module_classes(sources)
    decided = [may_define_module(ast.parse(s), known) for s in sources]
    assert any(decided)
    for source, may in zip(sources, decided):
        assert may or _module_classes(source, known) == []


SKIP_CASES = {
    "import torch.nn as tnn\nclass A(tnn.Linear): pass\n": True,
    "from torch.nn import Linear\nclass A(Linear): pass\n": True,
    "from torch import nn\nclass A(nn.Module): pass\nclass B(A): pass\n": True,
    "from .layers import Block\nclass A(Block): pass\n": True,  # Block is known from another file
    "class A(*bases): pass\n": False,
    "import enum\nclass A(enum.Enum): pass\nclass B(Exception): pass\ndef f(): pass\n": False,
    "x = 1\n": False,
}


@pytest.mark.parametrize("source", sorted(SKIP_CASES))
def test_the_ast_test_agrees_with_the_analysis(source: str) -> None:
    known = frozenset({"Block"})
    assert may_define_module(ast.parse(source), known) is SKIP_CASES[source]
    assert bool(_module_classes(source, known)) is SKIP_CASES[source]


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_the_ast_test_never_skips_a_module_class(source: str) -> None:
    try:
        tree = ast.parse(source)
        classes = _module_classes(source, frozenset({"Base"}))
    except (SyntaxError, ValueError, cst.ParserSyntaxError, RecursionError):
        assume(False)
    assert may_define_module(tree, frozenset({"Base"})) or classes == []


def test_one_torch_base_test_for_prepass_and_analysis() -> None:
    assert vars(classes)["is_torch_module_base"] is is_torch_module_base
    assert is_torch_module_base("torch.nn.Conv2d") and not is_torch_module_base("nn.functional.relu")


def test_parallel_scan_equals_serial_scan(examples_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(examples_dir, tmp_path / "examples")
    serial = scan_paths([tmp_path / "examples"], Config(jobs=1, cache=False))
    parallel = scan_paths([tmp_path / "examples"], Config(jobs=2, cache=False))
    assert parallel == serial
    from exportlint.rules import ALL_RULES

    assert {f.rule for r in serial for f in r.findings} == {r.name for r in ALL_RULES}  # every rule had something to say


WARM_CHECK = textwrap.dedent("""
    import sys
    from exportlint.cli import main
    import exportlint.engine
    import exportlint.scan
    assert "libcst" not in sys.modules, "importing the engine or the scan loaded libcst"
    code = main(["scan", sys.argv[1], "--format", "json", "--jobs", "1"])
    print(code, "libcst" in sys.modules)
""")


def test_a_warm_scan_never_imports_libcst(examples_dir: Path, tmp_path: Path) -> None:
    tree = tmp_path / "sam3_like"
    shutil.copytree(examples_dir / "sam3_like", tree)
    # NOTE: a fresh interpreter is the only way to see which modules a scan imports. With one
    # job the cold scan analyses in this process (and loads libcst); the warm one must not.
    runs = [subprocess.run([sys.executable, "-c", WARM_CHECK, str(tree)], capture_output=True, text=True, check=False)
            for _ in range(2)]
    assert [r.stdout.splitlines()[-1] for r in runs] == ["1 True", "1 False"], [r.stderr for r in runs]


def test_cache_directory_follows_the_config_then_the_scanned_paths(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "m.py").write_text("")
    assert cache_directory([tmp_path / "a"], Config()) == tmp_path / "a" / ".exportlint_cache"
    assert cache_directory([tmp_path / "a" / "m.py", tmp_path], Config()) == tmp_path / ".exportlint_cache"
    assert cache_directory([tmp_path / "a"], Config(root=str(tmp_path))) == tmp_path / ".exportlint_cache"
    assert cache_directory([tmp_path / "a"], Config(cache_dir="/elsewhere/c")) == Path("/elsewhere/c")
    assert cache_directory([tmp_path / "a"], dataclasses.replace(Config(), cache=False)) is None


def test_progress_line_shows_late_and_erases_itself() -> None:
    out = io.StringIO()
    progress = LineProgress(out, delay=0.0, interval=0.0)
    progress.start(total=10, to_analyse=4)
    progress.advance("pkg/model.py")
    progress.advance("pkg/layers.py")
    progress.finish()
    text = out.getvalue()
    assert "analysed 2/4 files (6 cached)  pkg/layers.py" in text and text.endswith("\r\x1b[K")
    quiet = io.StringIO()
    slow = LineProgress(quiet, delay=60.0)
    slow.start(total=3, to_analyse=3)
    slow.advance("a.py")
    slow.finish()
    assert quiet.getvalue() == ""


class _Events(cst.CSTVisitor):
    """Records every hook call; skips the children of lambdas to exercise `on_visit` returning False."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", id(node), ""))
        return not isinstance(node, cst.Lambda)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", id(original_node), ""))

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("enter", id(node), attribute))

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        self.events.append(("exit", id(original_node), attribute))


def assert_same_walk(source: str) -> None:
    module = cst.parse_module(source)
    expected, got = _Events(), _Events()
    module.visit(expected)
    walk(module, got)
    assert got.events == expected.events


def test_the_read_only_walk_makes_libcst_s_calls_in_libcst_s_order(examples_dir: Path) -> None:
    for source in example_sources(examples_dir):
        assert_same_walk(source)
    assert_same_walk("x[1:2, *a] = f'{y!r:>{w}}' if (z := 1) else lambda q: q\nmatch p:\n    case [1, *r]: pass\n")


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_the_read_only_walk_matches_libcst_on_generated_code(source: str) -> None:
    assume_libcst_parses(source)
    assert_same_walk(source)


def test_all_rules_in_one_walk_find_what_each_rule_finds_alone(examples_dir: Path) -> None:
    config = Config()
    rules = selected_rules(config)
    sources = {p: p.read_text() for p in sorted(examples_dir.rglob("*.py"))}
    known = known_module_classes(list(sources.values()))
    total = 0
    for path, text in sources.items():
        source = parse_source(str(path), text)
        facts = build_facts(source.tree, known)
        facts.position_of, facts.text = source.position, text
        alone = sorted(map(repr, (f for rule in rules for f in _run_rule(rule, source, facts, config))))
        together = sorted(map(repr, _run_rules(rules, source, facts, config)))
        assert together == alone, path
        total += len(alone)
    assert total > 10


def test_findings_do_not_depend_on_the_hash_seed(examples_dir: Path) -> None:
    """String hashing changes between processes; the order functions are found in must not."""
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-m", "exportlint", "scan", str(examples_dir), "--no-cache",
                               "--format", "concise"], capture_output=True, text=True, env=env, check=False)
        assert done.returncode == 1, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert "EXL304" in next(iter(outputs))
