"""Where the scan starts: `forward`, or, when forward only raises NotImplementedError (SAM3's
tracker runs through `track_step` and friends), every public method of the class."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from exportlint.analysis.params import dict_params
from exportlint.config import Config
from exportlint.engine import scan_file

SOURCE = '''\
import torch
from torch import nn


class Tracker(nn.Module):
    def forward(self, batch):
        """Use the predictor's methods."""
        raise NotImplementedError("use track_step")

    def track_step(self, x, frame_idx, track_in_reverse):
        return self._memory(x) * 2

    def _memory(self, x):
        return x.cuda(non_blocking=True)

    def _unused(self, x):
        return x.cuda()


class Plain(nn.Module):
    def forward(self, x):
        return x * 2

    def helper(self, x):
        return x.cuda()
'''


def test_an_abstract_forward_makes_the_public_methods_entry_points(tmp_path: Path) -> None:
    path = tmp_path / "tracker.py"
    path.write_text(SOURCE)
    findings = scan_file(path, Config(cache=False)).findings
    devices = sorted((f.location.line, f.symbol) for f in findings if f.rule == "hardcoded-device")
    # reached from track_step; the private method nobody calls and Plain.helper are not export paths
    assert devices == [(14, "Tracker._memory")]


def test_flag_like_parameters_of_entry_points_are_python_values(tmp_path: Path) -> None:
    path = tmp_path / "tracker.py"
    path.write_text(SOURCE.replace("return self._memory(x) * 2",
                                   "if track_in_reverse:\n            x = x.flip(0)\n        return self._memory(x) * 2"))
    [branch] = [f for f in scan_file(path, Config(cache=False)).findings if f.rule == "dynamic-branch"]
    assert branch.severity == "warning" and "non-tensor" in branch.message


def test_a_long_chain_of_subclasses_keeps_its_findings(tmp_path: Path) -> None:
    """Each class of a 300-deep chain inherits the forward of the root module and is analysed once."""
    lines = ["import torch", "from torch import nn", "", "",
             "class C0(nn.Module):", "    def forward(self, x):", "        return x.cuda()", ""]
    lines += [f"class C{k}(C{k - 1}):\n    pass\n" for k in range(1, 300)]
    path = tmp_path / "chain.py"
    path.write_text("\n".join(lines) + "\n")
    result = scan_file(path, Config(cache=False))
    assert result.error is None
    assert [(f.rule, f.location.line) for f in result.findings] == [("hardcoded-device", 7)]


DICT_SOURCE = '''\
import torch
from torch import nn


class Tracker(nn.Module):
    def forward(self, x, batch):
        init_frames = batch["init_cond_frames"]
        if 0 in init_frames:
            x = x * 2
        return x.cuda()
'''


def test_a_parameter_indexed_by_a_string_is_a_runtime_dict_not_a_tensor(tmp_path: Path) -> None:
    """SAM3's `backbone_out["init_cond_frames"]`: a decision on what the dict holds is its layout."""
    path = tmp_path / "tracker.py"
    path.write_text(DICT_SOURCE)
    findings = scan_file(path, Config(cache=False)).findings
    [branch] = [f for f in findings if f.rule == "dynamic-branch"]
    assert (branch.location.line, branch.severity) == (8, "warning")
    assert "layout of a runtime container" in branch.message
    # the real blocker on the path stays an error
    assert [(f.location.line, f.severity) for f in findings if f.rule == "hardcoded-device"] == [(10, "error")]


@pytest.mark.parametrize(("use", "is_dict"), [
    ('p["key"]', True), ("p.items()", True), ("p.get(k)", True), ("p.update(q)", True),
    ('"key" in p', True), ('p.pop("key")', True),
    ("p[0]", False), ("p.pop(0)", False), ("p.sum()", False), ("k in p", False),
])
def test_which_uses_make_a_parameter_a_dict(use: str, is_dict: bool) -> None:
    fn = cst.parse_module(f"def f(p, q, k):\n    return {use}\n").body[0]
    assert isinstance(fn, cst.FunctionDef)
    assert dict_params(fn, {"p"}) == ({"p"} if is_dict else set())


FORWARDLESS = '''\
import torch
from torch import nn


class Bank(nn.Module):
    def read(self, x, frames, frame_idx):
        found = []
        for t in range(1, 4):
            prev = frames.get(frame_idx - t)
            if prev is None:
                continue
            found.append(prev)
        return torch.cat([x, *found])


class Head(nn.Linear):
    def describe(self, x):
        return x.cuda()
'''


def test_a_module_class_without_forward_is_scanned_from_its_public_methods(tmp_path: Path) -> None:
    path = tmp_path / "bank.py"
    path.write_text(FORWARDLESS)
    findings = scan_file(path, Config(cache=False)).findings
    errors = sorted((f.location.line, f.rule) for f in findings if f.severity == "error")
    assert (8, "dynamic-loop") in errors and (9, "dict-access") in errors
    # nn.Linear has a forward of its own: Head.describe is not an entry point
    assert not [f for f in findings if f.symbol.startswith("Head.")]


LIMITS = '''\
import torch
from torch import nn


def select(frames, max_frame_num, min_count):
    if max_frame_num == -1 or len(frames) <= max_frame_num:
        return frames
    return frames[:min_count]


class Picker(nn.Module):
    def forward(self, x, frames: list):
        return torch.cat(select(frames, 4, 2)) + x
'''


def test_limit_names_are_python_numbers_not_tensors(tmp_path: Path) -> None:
    # SAM3's select_closest_cond_frames(frame_idx, cond_frame_outputs, max_cond_frame_num) and
    # fill_holes_in_mask_scores(mask, max_area): the limits are configuration, so the branch
    # depends on a Python value and the container's layout (both exporters bake it), not on
    # tensor data.
    path = tmp_path / "limits.py"
    path.write_text(LIMITS)
    findings = scan_file(path, Config(cache=False)).findings
    [branch] = [f for f in findings if f.location.line == 6]
    assert branch.rule == "dynamic-branch" and branch.severity == "warning"
    assert "tensor values" not in branch.message


PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/attn.py": '''\
import torch
from torch import nn


class RoPEAttention(nn.Module):
    def forward(self, x):
        return torch.view_as_complex(x.reshape(2, -1, 2)).real
''',
    "pkg/tracker.py": '''\
import torch
from torch import nn
from .attn import RoPEAttention


class Tracker(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = RoPEAttention()

    def forward(self, batch):
        raise NotImplementedError("use track_step")

    def track_step(self, x, frame_idx):
        return self._memory(x)

    def _memory(self, x):
        return self.attn(x.cuda(non_blocking=True))

    def _debug(self, x):
        if x.sum() > 0:
            return x.item()
        return x


class Loss(nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x.item()
        return x
''',
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    _write(tmp_path, PACKAGE)
    return tmp_path


def _scan(folder: Path, *flags: str) -> tuple[int, dict, str]:
    import json
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "exportlint", "scan", "pkg", "--no-cache", "--format", "json", *flags],
                         cwd=folder, capture_output=True, text=True, timeout=120)
    return run.returncode, (json.loads(run.stdout) if run.stdout.strip() else {}), run.stderr


def _reached(report: dict) -> dict[tuple[str, int], list[str]]:
    return {(f["path"].rsplit("/", 1)[-1], f["line"]): f["entry_points"] for f in report["findings"]}


def test_every_finding_names_its_outermost_entry_points_across_files(package: Path) -> None:
    code, report, _ = _scan(package)
    assert code == 1
    assert _reached(report) == {
        # the attention class another file builds is reached from the tracker's step, not only its own forward
        ("attn.py", 7): ["pkg.tracker:Tracker.track_step"],
        ("tracker.py", 18): ["pkg.tracker:Tracker.track_step"],
        ("tracker.py", 28): ["pkg.tracker:Loss.forward"],
        ("tracker.py", 29): ["pkg.tracker:Loss.forward"],
    }


def test_an_entry_point_flag_narrows_to_what_it_reaches(package: Path) -> None:
    code, report, _ = _scan(package, "--entry-point", "Tracker.track_step")
    assert code == 1
    assert sorted(_reached(report)) == [("attn.py", 7), ("tracker.py", 18)]


def test_a_named_private_method_is_analysed_and_the_default_entries_drop(package: Path) -> None:
    (package / "pyproject.toml").write_text('[tool.exportlint]\nentry-points = ["pkg.tracker:Tracker._debug"]\n')
    code, report, _ = _scan(package)
    assert code == 1
    found = {(f["line"], f["rule"], f["severity"]) for f in report["findings"]}
    # same severities as the same code in a forward (see the export facts "... via track_step")
    assert found == {(21, "dynamic-branch", "error"), (22, "tensor-to-python", "error")}
    # the flag replaces the config's list
    _, flagged, _ = _scan(package, "--entry-point", "Loss.forward")
    assert {f["line"] for f in flagged["findings"]} == {28, 29}


@pytest.mark.parametrize(("flag", "says"), [
    ("Tracker.nope", "entry point `Tracker.nope` names no method of an nn.Module class"),
    ("track_step", "expected `Class.method`"),
])
def test_an_entry_point_that_names_nothing_is_a_one_line_usage_error(package: Path, flag: str, says: str) -> None:
    code, report, stderr = _scan(package, "--entry-point", flag)
    assert code == 2 and report == {}
    assert says in stderr and len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


def test_sarif_and_the_terminal_say_where_a_finding_is_reached_from(package: Path) -> None:
    import json
    import subprocess
    import sys

    sarif = subprocess.run([sys.executable, "-m", "exportlint", "scan", "pkg", "--no-cache", "--format", "sarif"],
                           cwd=package, capture_output=True, text=True, timeout=120)
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    points = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r["properties"].get("entryPoints")
              for r in results}
    assert points[18] == ["pkg.tracker:Tracker.track_step"]
    rich = subprocess.run([sys.executable, "-m", "exportlint", "scan", "pkg", "--no-cache", "--color", "never"],
                          cwd=package, capture_output=True, text=True, timeout=120, env={**__import__("os").environ,
                                                                                        "COLUMNS": "100"})
    assert rich.stdout.count("reached from: Tracker.track_step") == 2
    # a finding in the entry point itself does not repeat its own name
    assert "reached from: Loss.forward" not in rich.stdout


def test_a_warm_scan_names_the_same_entry_points(package: Path) -> None:
    from exportlint.scan import scan_paths

    _write(package, BUILT)  # links a builder decides: resolved once, then from the cache
    config = Config(cache_dir=str(package / ".cache"), jobs=1)
    cold = scan_paths([package / "pkg"], config)
    warm = scan_paths([package / "pkg"], config)
    names = [[f.entry_points for f in r.findings] for r in cold]
    assert names == [[f.entry_points for f in r.findings] for r in warm]
    assert ("pkg.tracker:Tracker.track_step",) in [p for r in cold for p in [f.entry_points for f in r.findings]]
    enc = next(r for r in warm if r.path.endswith("enc.py"))
    assert [f.entry_points for f in enc.findings] == [("pkg.tracker2:Tracker2.track_step",)]
    assert list((package / ".cache").rglob("links/*"))


def test_a_submodule_built_in_a_helper_of_init_is_followed(package: Path) -> None:
    # SAM3's tracker builds its mask decoder in `_build_sam_heads`, which __init__ calls
    tracker = package / "pkg" / "tracker.py"
    tracker.write_text(tracker.read_text().replace(
        "        self.attn = RoPEAttention()\n",
        "        self._build_heads()\n\n    def _build_heads(self):\n        self.attn = RoPEAttention()\n"))
    code, report, _ = _scan(package, "--entry-point", "Tracker.track_step")
    assert code == 1
    assert ("attn.py", 7) in _reached(report)


def test_properties_and_a_raising_forward_are_not_entry_points(tmp_path: Path) -> None:
    path = tmp_path / "tracker.py"
    path.write_text(SOURCE.replace("    def _unused(self, x):", "    @property\n    def device(self):\n"
                                   "        return next(self.parameters()).device\n\n    def _unused(self, x):"))
    result = scan_file(path, Config(cache=False))
    assert result.entries == ("Plain.forward", "Tracker.track_step")


BUILT = {
    "pkg/tracker2.py": '''\
from torch import nn


class Tracker2(nn.Module):
    def __init__(self, memory_attention, transformer):
        super().__init__()
        self.memory_attention = memory_attention
        self.transformer = transformer

    def forward(self, batch):
        raise NotImplementedError

    def track_step(self, x):
        return self.memory_attention(x) + self.transformer.encoder(x)
''',
    "pkg/wrap.py": '''\
from torch import nn


class Wrapper(nn.Module):
    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
''',
    "pkg/enc.py": '''\
from torch import nn


class Enc(nn.Module):
    def forward(self, x):
        return x.cuda()
''',
    "pkg/builder.py": '''\
from .attn import RoPEAttention
from .enc import Enc
from .tracker2 import Tracker2
from .wrap import Wrapper


def _transformer():
    return Wrapper(encoder=Enc())


def build():
    return Tracker2(memory_attention=RoPEAttention(), transformer=_transformer())
''',
}


def test_modules_a_builder_passes_in_are_followed_through_attributes(package: Path) -> None:
    # SAM3: the builder passes the tracker its memory attention and a wrapper holding the encoder
    _write(package, BUILT)
    code, report, _ = _scan(package, "--entry-point", "Tracker2.track_step")
    assert code == 1
    errors = {k: v for k, v in _reached(report).items() if k[0] != "tracker2.py"}
    assert errors == {("attn.py", 7): ["pkg.tracker2:Tracker2.track_step"],
                      ("enc.py", 6): ["pkg.tracker2:Tracker2.track_step"]}
    # the tracker's own injected-module findings (its __init__) stay
    assert {k[0] for k in _reached(report)} == {"attn.py", "enc.py", "tracker2.py"}


def test_a_holder_is_followed_as_the_tracker_s_builder_fills_it(package: Path) -> None:
    # SAM3's TransformerWrapper holds the image model's fusion encoder in one builder and the
    # tracker's memory attention in another: the tracker reaches only what its own builder put there.
    _write(package, BUILT)
    (package / "pkg" / "other.py").write_text(
        "from torch import nn\nfrom .wrap import Wrapper\n\n\nclass Fusion(nn.Module):\n"
        "    def forward(self, x):\n        return x.cuda()\n\n\ndef detector():\n    return Wrapper(encoder=Fusion())\n")
    _, report, _ = _scan(package, "--entry-point", "Tracker2.track_step")
    assert sorted(k for k in _reached(report) if k[0] != "tracker2.py") == [("attn.py", 7), ("enc.py", 6)]
    _, everything, _ = _scan(package)
    assert _reached(everything)[("other.py", 7)] == ["pkg.other:Fusion.forward"]


LAYERED = {
    "pkg/trk.py": '''\
from torch import nn


class Trk(nn.Module):
    def __init__(self, transformer):
        super().__init__()
        self.transformer = transformer

    def forward(self, batch):
        raise NotImplementedError

    def track_step(self, x):
        return self.transformer.encoder(x)
''',
    "pkg/layers.py": '''\
import copy

from torch import nn


def get_clones(module, n):
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])


def ckpt(module):
    return module


class Encoder(nn.Module):
    def __init__(self, layer, num_layers):
        super().__init__()
        self.layers = get_clones(layer, num_layers)

    def forward(self, x):
        for layer in self.layers:
            x = ckpt(layer)(x)
        return x


class LayerV1(nn.Module):
    def __init__(self, self_attention):
        super().__init__()
        self.self_attn = self_attention

    def forward(self, x):
        return self.self_attn(x)


class LayerV2(LayerV1):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
''',
    "pkg/build2.py": '''\
from .enc import Enc
from .layers import Encoder, LayerV2
from .trk import Trk
from .wrap import Wrapper


def build():
    layer = LayerV2(self_attention=Enc())
    return Trk(transformer=Wrapper(encoder=Encoder(layer=layer, num_layers=2)))
''',
}


def test_layers_cloned_into_a_list_and_their_injected_attention_are_followed(package: Path) -> None:
    # SAM3's memory attention: encoder layers cloned from an injected layer, run through an
    # activation-checkpoint wrapper, whose base class stores the injected RoPE attention
    _write(package, {name: BUILT[name] for name in ("pkg/wrap.py", "pkg/enc.py")} | LAYERED)
    _, report, _ = _scan(package, "--entry-point", "Trk.track_step")
    assert _reached(report).get(("enc.py", 6)) == ["pkg.trk:Trk.track_step"]
    _, everything, _ = _scan(package)
    assert _reached(everything)[("enc.py", 6)] == ["pkg.trk:Trk.track_step"]
