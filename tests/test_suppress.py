"""Suppression comments, unused-ignore reports and --add-ignores, through the real CLI."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from exportlint.cli import main
from exportlint.add_ignores import merge_comment
from exportlint.suppress import parse_directives

HEADER = "import torch\nfrom torch import nn\n\n\nclass M(nn.Module):\n"

# Two dynamic-branch findings: line 7 (tensor data: error), line 9 (forward flag: warning).
TWO_BRANCHES = HEADER + """\
    def forward(self, x, dac=False):
        if x.sum() > 0:{c7}
            x = x * 2
        if dac:{c9}
            x = x + 1
        return x
"""


def _findings(capsys: pytest.CaptureFixture[str], path: Path, *flags: str) -> tuple[int, list[dict]]:
    code = main(["scan", str(path), "--format", "json", "--no-cache", *flags])
    return code, json.loads(capsys.readouterr().out)["findings"]


def _write(tmp_path: Path, c7: str = "", c9: str = "") -> Path:
    path = tmp_path / "m.py"
    path.write_text(TWO_BRANCHES.format(c7=c7, c9=c9))
    return path


@pytest.mark.parametrize(
    "comment",
    ["  # exportlint: ignore[dynamic-branch]", "  # exportlint: ignore[EXL101]", "  # exportlint: ignore[exl1]",
     "  # exportlint: ignore", "  # why: data-dependent on purpose  # exportlint: ignore[list-tensor-input, dynamic-branch]",
     "  #exportlint:ignore[ dynamic-branch ] because reasons"],
)
def test_line_comment_suppresses_only_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], comment: str) -> None:
    code, findings = _findings(capsys, _write(tmp_path, c7=comment))
    assert [f["line"] for f in findings] == [9]
    assert code == 0  # the remaining finding is a warning: the error was suppressed


def test_other_rule_key_does_not_suppress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, findings = _findings(capsys, _write(tmp_path, c7="  # exportlint: ignore[list-tensor-input]"))
    assert ([f["line"] for f in findings], code) == ([7, 9], 1)


def test_def_and_class_line_cover_the_whole_body(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    text = path.read_text()
    path.write_text(text.replace("dac=False):", "dac=False):  # exportlint: ignore[dynamic-branch]"))
    assert _findings(capsys, path) == (0, [])
    path.write_text(text.replace("class M(nn.Module):", "class M(nn.Module):  # exportlint: ignore"))
    assert _findings(capsys, path) == (0, [])


def test_multiline_condition_and_string_use_the_first_line_that_can_hold_a_comment() -> None:
    text = 'x = f("""a\nb""",\n      c)\ny = 1 + \\\n    2  # exportlint: ignore\n'
    lines, directives = parse_directives(text)
    assert [lines.resolve(n) for n in (1, 2, 3, 4, 5)] == [2, 2, 3, 5, 5]
    assert [(d.line, d.keys) for d in directives] == [(5, ())]


def test_unused_ignores_are_reported_only_on_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, c7="  # exportlint: ignore[dynamic-branch]")
    text = path.read_text().replace("return x", "return x  # exportlint: ignore[dynamic-branch, EXL999x]")
    path.write_text(text.replace("x = x * 2", "x = x * 2  # exportlint: ignore"))
    _, findings = _findings(capsys, path)
    # An unknown rule name is reported without the flag; stale keys are not.
    assert [(f["line"], f["rule"]) for f in findings] == [(9, "dynamic-branch"), (11, "unused-ignore")]
    code, findings = _findings(capsys, path, "--report-unused-ignores")
    unused = [(f["line"], f["code"], f["severity"], f["message"]) for f in findings if f["rule"] == "unused-ignore"]
    assert code == 0  # unused ignores are warnings
    assert [(line, c, s) for line, c, s, _ in unused] == [(8, "EXL001", "warning"), (11, "EXL001", "warning"),
                                                          (11, "EXL001", "warning")]
    messages = " | ".join(m for *_, m in unused)
    assert "nothing is reported here" in messages and "`dynamic-branch` reports nothing" in messages
    assert "unknown rule `EXL999x`" in messages


def test_unused_ignore_of_a_deselected_rule_is_not_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, c7="  # exportlint: ignore[dynamic-branch]")
    _, findings = _findings(capsys, path, "--report-unused-ignores", "--ignore", "dynamic-branch")
    assert findings == []


def test_add_ignores_then_rescan_is_clean_and_only_comments_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, c9="  # keep this note")
    path.chmod(0o640)
    before = path.read_text().splitlines()
    assert main(["scan", str(tmp_path), "--add-ignores", "--no-cache"]) == 0
    assert "added 2 suppression comments in 1 file" in capsys.readouterr().err
    after = path.read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(before) == len(after) and changed == [
        ("        if x.sum() > 0:", "        if x.sum() > 0:  # exportlint: ignore[dynamic-branch]"),
        ("        if dac:  # keep this note", "        if dac:  # keep this note  # exportlint: ignore[dynamic-branch]"),
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]  # no temporary file left behind
    assert _findings(capsys, path, "--report-unused-ignores") == (0, [])
    assert main(["scan", str(tmp_path), "--add-ignores", "--no-cache"]) == 0  # idempotent
    assert "added 0 suppression comments" in capsys.readouterr().err
    assert path.read_text().splitlines() == after


def test_add_ignores_keeps_bom_crlf_and_multiline_statements(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = HEADER + """\
    def forward(self, x):
        y = (x * 2
             if x.sum() > 0
             else x)
        return y
"""
    path = tmp_path / "m.py"
    path.write_bytes(b"\xef\xbb\xbf" + source.replace("\n", "\r\n").encode())
    code, findings = _findings(capsys, path)
    assert (code, [f["line"] for f in findings]) == (1, [8])  # the ternary's test
    assert main(["scan", str(path), "--add-ignores", "--no-cache"]) == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == source.count("\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert b"             if x.sum() > 0  # exportlint: ignore[dynamic-branch]\r\n" in data
    assert _findings(capsys, path) == (0, [])


def test_merge_comment() -> None:
    assert merge_comment(None, {"b", "a"}) == "# exportlint: ignore[a, b]"
    assert merge_comment("# exportlint: ignore[a]  # why", {"b"}) == "# exportlint: ignore[a, b]  # why"
    assert merge_comment("# exportlint: ignore", {"b"}) == "# exportlint: ignore"
    assert merge_comment("# note", {"a"}) == "# note  # exportlint: ignore[a]"


def test_add_ignores_after_a_backslash_continuation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text(HEADER + "    def forward(self, x):\n        if x.sum() > \\\n                0:\n            return x\n"
                    "        return -x\n")
    assert [f["line"] for f in _findings(capsys, path)[1]] == [7]
    assert main(["scan", str(path), "--add-ignores", "--no-cache"]) == 0
    assert path.read_text().splitlines()[7] == "                0:  # exportlint: ignore[dynamic-branch]"
    assert _findings(capsys, path, "--report-unused-ignores") == (0, [])


def test_ignore_next_line_covers_only_the_line_below(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text(HEADER + "    # exportlint: ignore-next-line[dynamic-branch]\n    def forward(self, x, dac=False):\n"
                    "        if x.sum() > 0:\n            x = x * 2\n        return x\n")
    # Not the def line's scope: the body's finding stays; and the comment itself is reported unused.
    code, findings = _findings(capsys, path, "--report-unused-ignores")
    assert code == 1
    assert [(f["line"], f["rule"]) for f in findings] == [(6, "unused-ignore"), (8, "dynamic-branch")]
    path.write_text(TWO_BRANCHES.format(c7="", c9="").replace("        if dac:", "        # exportlint: ignore-next-line[EXL101]\n        if dac:"))
    assert [f["line"] for f in _findings(capsys, path, "--report-unused-ignores")[1]] == [7]


LIST_INPUT = HEADER + """\
    def forward(self, feats: list[torch.Tensor], mask):
        out = feats[0] * 2
        if out.sum() > 0:
            out = out + 1
        n = mask.sum().item()
        return out.new_zeros(n) if n else out
"""


def test_add_ignores_keeps_def_lines_specific_lines_short_and_info_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.py"
    path.write_text(LIST_INPUT.replace("out = out + 1", "out = out + torch.ones_like(out) * 2 + torch.ones_like(out) * 3 + 1")
                    .replace("if out.sum() > 0:", "if out.sum() > 0:  # an explanation of why this stays"))
    _, before = _findings(capsys, path)
    worth = sorted({(f["line"], f["rule"]) for f in before if f["severity"] != "info"})
    assert any(line == 6 for line, _ in worth), before  # the list input, reported on the def line
    assert main(["scan", str(path), "--add-ignores", "--no-cache"]) == 0
    text = path.read_text()
    lines = text.splitlines()
    assert [len(line) <= 88 for line in lines if "exportlint:" in line] == [True] * 4
    assert lines[8].strip() == "# exportlint: ignore-next-line[dynamic-branch]"  # a trailing one passes 88
    assert lines[5].strip().startswith("# exportlint: ignore-next-line[") and lines[6].lstrip().startswith("def forward")
    assert "exportlint" not in lines[6]  # no trailing comment that would silence the whole method
    _, after = _findings(capsys, path, "--report-unused-ignores")
    assert [f for f in after if f["severity"] != "info"] == []
    assert sorted((f["rule"], f["message"]) for f in after) == sorted(
        (f["rule"], f["message"]) for f in before if f["severity"] == "info")


BACKSLASH = HEADER + "    def forward(self, x):\n        if x.sum() > \\\n                0:\n            return x\n        return -x\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_add_ignores_adds_only_the_comment_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str], newline: str) -> None:
    """Trailing spaces, every line-ending style (CR-only too) and a backslash continuation are kept."""
    source = (BACKSLASH.replace("                0:", "                0:   ")).replace("\n", newline)
    path = tmp_path / "m.py"
    path.write_bytes(source.encode())
    assert main(["scan", str(path), "--add-ignores", "--no-cache"]) == 0
    assert "added 1 suppression comment in 1 file" in capsys.readouterr().err
    data = path.read_bytes().decode()
    comment = "  # exportlint: ignore[dynamic-branch]"
    at = data.index(comment)
    assert data[:at] + data[at + len(comment):] == source  # nothing else changed, not even the last ending
    assert data[:at].endswith("                0:")
    assert _findings(capsys, path, "--report-unused-ignores") == (0, [])  # and the comment works


def test_add_ignores_keeps_a_pep263_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = "# -*- coding: latin-1 -*-\n" + BACKSLASH.replace("return -x", "return -x  # é")
    path = tmp_path / "m.py"
    path.write_bytes(source.encode("latin-1"))
    assert [f["line"] for f in _findings(capsys, path)[1]] == [8]  # read in its declared encoding
    assert main(["scan", str(path), "--add-ignores", "--no-cache"]) == 0
    assert path.read_bytes().decode("latin-1").count("ignore[dynamic-branch]") == 1
    assert b"\xe9" in path.read_bytes()


def test_add_ignores_writes_through_a_symlink_and_refuses_hard_links(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.py"
    target.write_text(BACKSLASH)
    link = tmp_path / "pkg" / "m.py"
    link.parent.mkdir()
    link.symlink_to(target)
    assert main(["scan", str(link.parent), "--add-ignores", "--no-cache"]) == 0
    capsys.readouterr()
    assert link.is_symlink() and "exportlint: ignore" in target.read_text()
    other = tmp_path / "hard" / "m.py"
    other.parent.mkdir()
    other.write_text(BACKSLASH)
    os.link(other, tmp_path / "hard_copy.py")
    assert main(["scan", str(other.parent), "--add-ignores", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "2 hard links" in err and "Traceback" not in err
    assert other.read_text() == BACKSLASH and (tmp_path / "hard_copy.py").stat().st_nlink == 2


@pytest.mark.parametrize(("key", "suggestion"), [("dynamic-brnch", "dynamic-branch"), ("EXL1O1", "EXL101"),
                                                 ("Dynamic-Branch", "dynamic-branch")])
def test_a_misspelt_key_is_always_reported_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, suggestion: str
) -> None:
    code, findings = _findings(capsys, _write(tmp_path, c7=f"  # exportlint: ignore[{key}]"))
    assert code == 1  # the misspelt key suppressed nothing: the error on line 7 is still there
    reported = [(f["line"], f["col"], f["code"], f["rule"], f["severity"]) for f in findings]
    assert reported == [(7, 11, "EXL101", "dynamic-branch", "error"), (7, 25, "EXL001", "unused-ignore", "warning"),
                        (9, 11, "EXL101", "dynamic-branch", "warning")]
    assert findings[1]["message"] == f"unknown rule `{key}` in `# exportlint: ignore[...]`; did you mean `{suggestion}`?"


def test_known_keys_and_prefixes_are_not_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Code prefixes, any-case codes and catalogue codes without a static rule name something.
    path = _write(tmp_path, c7="  # exportlint: ignore[EXL1, exl101, EXL9, eager-failure]")
    _, findings = _findings(capsys, path)
    assert [f["rule"] for f in findings] == ["dynamic-branch"]
    path.write_text(path.read_text().replace("eager-failure", "xyzzy"))
    _, findings = _findings(capsys, path)
    assert [f["message"] for f in findings if f["rule"] == "unused-ignore"] == [
        "unknown rule `xyzzy` in `# exportlint: ignore[...]`"]
