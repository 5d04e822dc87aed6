"""The rich report: what a pipe receives is exactly what rich itself would print without styles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from exportlint.config import Config
from exportlint.scan import scan_paths
from exportlint.model import Finding, Location, Outcomes
from exportlint.report.terminal import make_console, render_finding, render_rich


def _rendered(findings: list[Finding], width: int, *, through_rich: bool) -> str:
    out = io.StringIO()
    # record=True makes the console take rich's own path; the text it writes is the same.
    console = Console(file=out, width=width, color_system=None, record=through_rich, highlight=False, soft_wrap=False)
    for finding in findings:
        render_finding(finding, console)
    return out.getvalue()


@pytest.fixture(scope="module")
def example_findings(examples_dir: Path) -> list[Finding]:
    return [f for r in scan_paths([examples_dir], Config(cache=False, jobs=1)) for f in r.findings]


@pytest.mark.parametrize("width", [24, 60, 100, 200])
def test_plain_report_equals_rich_on_the_examples(example_findings: list[Finding], width: int) -> None:
    from exportlint.rules import ALL_RULES

    # Every rule's messages and hints go through both renderers.
    assert {f.rule for f in example_findings} == {r.name for r in ALL_RULES}
    plain = _rendered(example_findings, width, through_rich=False)
    assert plain == _rendered(example_findings, width, through_rich=True)
    assert max(len(line) for line in plain.splitlines()) <= width


def test_plain_report_equals_rich_with_tabs_wide_characters_and_long_words(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("def f(x):\n\tif x.sum() > 0:  # 注意, 数据相关的分支 " + "x" * 80 + "\n\t\treturn x\n")
    where = Location(str(source), 2, 4, 2, 18)
    message = "分支依赖张量的值 (`x.sum() > 0`): " + "a_very_long_identifier_" * 6 + " then some words"
    finding = Finding("EXL101", "dynamic-branch", message, where, outcomes=Outcomes.same("fails"),
                      severity="error", symbol="M.forward", hint="用 torch.where 代替\tthe branch")
    for width in (20, 41, 80, 120):
        plain = _rendered([finding], width, through_rich=False)
        assert plain == _rendered([finding], width, through_rich=True), width
    assert "…" in _rendered([finding], 41, through_rich=False)


def test_a_report_to_a_pipe_has_no_escape_codes_and_a_terminal_one_has(example_findings: list[Finding]) -> None:
    results = scan_paths([Path(example_findings[0].location.path)], Config(cache=False, jobs=1))
    piped, coloured = io.StringIO(), io.StringIO()
    render_rich(results, make_console(file=piped, width=100))
    render_rich(results, make_console(file=coloured, color=True, width=100))
    assert "\x1b[" not in piped.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert [line for line in piped.getvalue().splitlines() if "error" in line][:3]


@pytest.mark.parametrize("width", [48, 52, 60, 75])
def test_hints_break_outside_backticked_commands(tmp_path: Path, width: int) -> None:
    command = "`exportlint fix --rule dynamic-branch`"
    hint = "Express both outcomes in the graph: torch.where for same-shaped results, torch.cond otherwise " \
           f"({command})."
    finding = Finding("EXL101", "dynamic-branch", "msg", Location(str(tmp_path / "none.py"), 1, 0, 1, 1),
                      outcomes=Outcomes.same("fails"), severity="error", hint=hint)
    plain = _rendered([finding], width, through_rich=False)
    assert plain == _rendered([finding], width, through_rich=True)
    hint_lines = [line.strip() for line in plain.splitlines()[2:]]
    assert any(command in line for line in hint_lines), hint_lines  # the command stays on one line
    assert " ".join(hint_lines) == f"hint: {hint}"
    assert max(len(line) for line in plain.splitlines()) <= width
