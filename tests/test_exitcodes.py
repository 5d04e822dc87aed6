"""One set of exit codes and one --color map, shared by scan, probe and fix."""

from __future__ import annotations

import ast
from pathlib import Path

from exportlint.cli import main
from exportlint.exitcodes import ExitCode

PACKAGE = Path(__file__).resolve().parents[1] / "exportlint"


def _literal_assignments(prefix: str) -> list[str]:
    """`NAME = <literal>` (or a tuple of literals) for names starting with `prefix`, anywhere."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign):
                continue
            names = [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if any(n.startswith(prefix) for n in names) and all(isinstance(v, (ast.Constant, ast.Dict)) for v in values):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_no_command_defines_its_own_exit_codes() -> None:
    assert _literal_assignments("EXIT_") == []


def test_the_commands_use_the_shared_codes() -> None:
    import exportlint.fixers.pipeline.command as fix
    import exportlint.probe.command as probe
    from exportlint import scan_command as cli

    assert (cli.EXIT_CLEAN, cli.EXIT_FINDINGS, cli.EXIT_ERROR) == tuple(ExitCode)
    assert (fix.EXIT_OK, fix.EXIT_FAILED, fix.EXIT_ERROR) == tuple(ExitCode)
    assert probe.exit_code([]) is ExitCode.CLEAN
    assert [int(c) for c in ExitCode] == [0, 1, 2]


def test_exit_codes_are_plain_ints_to_the_caller() -> None:
    code = main(["rule", "no-such-rule"])
    assert code == 2 and code is ExitCode.ERROR and isinstance(code, int)


def test_one_color_map() -> None:
    # Only report/color.py spells out what --color auto|always|never means.
    hits = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
            if '"always": True' in p.read_text(encoding="utf-8")]
    assert hits == ["report/color.py"]
