"""`exportlint fix` progress: the step line is shown on a terminal in the rich format only, and
the child's steps reach it through the same relay as the probe's."""

from __future__ import annotations

import io
import sys

from exportlint.fixers.pipeline.command import step_line
from exportlint.progress import StepLine
from exportlint.verify.isolate import run_in_child


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_is_shown_on_a_terminal_in_the_rich_format_only() -> None:
    line = step_line("rich", FakeTerminal())
    assert isinstance(line, StepLine) and line.verb == "fixing"
    assert step_line("json", FakeTerminal()) is None
    assert step_line("rich", io.StringIO()) is None


def test_the_childs_steps_reach_the_line_in_order(tmp_path) -> None:
    (tmp_path / "stepper.py").write_text(
        "from exportlint import progress\n\n"
        "def run(payload):\n"
        "    for text in payload['steps']:\n"
        "        progress.step(text)\n"
        "    return {'n': len(payload['steps'])}\n")
    out = FakeTerminal()
    line = StepLine(out, verb="fixing")
    seen: list[str] = []

    def show(text: str) -> None:
        seen.append(text)
        line.show("m.py:make", text)

    sys.path.insert(0, str(tmp_path))
    try:
        outcome = run_in_child("stepper:run", {"steps": ["capturing one eager forward",
                                                         "exporting with dynamo"]},
                               label="m.py:make", timeout=60, cwd=str(tmp_path), on_step=show)
    finally:
        sys.path.remove(str(tmp_path))
    line.finish()
    assert outcome.ok and outcome.data == {"n": 2}
    assert seen == ["capturing one eager forward", "exporting with dynamo"]
    assert "exportlint: fixing m.py:make: exporting with dynamo (" in out.getvalue()
    assert out.getvalue().endswith("\r\x1b[K")
