"""Tests of the verify layer: flattening, comparison, perturbation, export and parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from exportlint.verify import (
    InputSet,
    compare_arrays,
    compare_outputs,
    first_user_frame,
    flatten_inputs,
    flatten_outputs,
    perturb_inputs,
    verify_module,
)

nn = torch.nn


class BakedBranch(nn.Module):
    """Legacy bakes the `if`; dynamo refuses it. Takes a list and a dict as well."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 4)

    def forward(self, x: Any, feats: list[Any], flag: bool = True) -> Any:
        y = self.proj(x) + feats[0]
        if y.sum() > 0:  # the baked branch
            y = y * 2
        return y, {"tail": feats[1] + 1}


def _example() -> tuple[Any, tuple[Any, ...]]:
    torch.manual_seed(0)
    return BakedBranch().eval(), (torch.randn(3, 4) + 3, [torch.randn(4), torch.randn(2)], True)


def test_flatten_inputs_names_like_the_dynamo_exporter() -> None:
    module, args = _example()
    leaves = flatten_inputs(module.forward, args, {"extra": {"a": torch.ones(1)}})
    assert [leaf.name for leaf in leaves] == ["x", "feats_0", "feats_1", "flag", "extra_a"]
    out = flatten_outputs((torch.ones(1), [None, {"k": torch.zeros(2)}]))
    assert [leaf.name for leaf in out] == ["out_0", "out_1_1_k"]


def test_compare_reports_abs_rel_and_shape_mismatch() -> None:
    import numpy as np

    diff = compare_arrays("y", np.array([1.0, 2.0]), np.array([1.0, 2.5]), rtol=0.0, atol=0.1)
    assert (diff.ok, diff.max_abs, diff.max_rel) == (False, 0.5, 0.25)
    assert compare_arrays("y", np.array([np.nan]), np.array([np.nan])).ok
    shape = compare_arrays("y", np.zeros((2, 3)), np.zeros((3, 2)))
    assert not shape.ok and "shape" in shape.detail
    assert not compare_outputs([np.zeros(1)], [])[-1].ok


def test_integer_inputs_are_reordered_along_each_axis_that_changes_them() -> None:
    forward = lambda x, shapes, count: None
    shapes = torch.tensor([[8, 8], [4, 2]])
    sets = {s.name: s for s in perturb_inputs(forward, (torch.randn(2), shapes, torch.tensor(3)))}
    assert torch.equal(sets["reordered"].args[1], torch.tensor([[4, 2], [8, 8]]))
    assert torch.equal(sets["swapped"].args[1], torch.tensor([[8, 8], [2, 4]]))
    assert int(sets["swapped"].args[2]) == 3  # a 0-d count has no order
    # integers that no reversal changes (a constant row, one element) give no such sets
    flat = {s.name for s in perturb_inputs(forward, (torch.randn(2), torch.tensor([[5, 5]]), torch.tensor(3)))}
    assert not flat & {"reordered", "swapped"}


def test_perturbed_inputs_keep_structure_dtype_and_resize_dynamic_axes() -> None:
    forward = lambda x, ids, mask: None
    args = (torch.randn(3, 4), torch.tensor([0, 2, 1]), torch.tensor([True, False, True]))
    sets = {s.name: s for s in perturb_inputs(forward, args, dynamic={"x": {0: "n"},
                                                                       "ids": {0: "n"}})}
    assert set(sets) == {"values-1", "values-2", "flipped", "scaled", "reordered", "sizes"}
    assert torch.equal(sets["reordered"].args[1], torch.tensor([1, 2, 0]))  # ints reversed ...
    assert sets["reordered"].args[0] is args[0] and sets["reordered"].args[2] is args[2]  # ... only
    values = sets["values-1"].args
    assert values[1].dtype == torch.int64 and int(values[1].max()) <= 2
    assert values[2].dtype == torch.bool and not torch.equal(values[0], args[0])
    assert torch.equal(sets["flipped"].args[2], ~args[2])
    assert torch.equal(sets["flipped"].args[0], -args[0])
    resized = sets["sizes"].args
    assert resized[0].shape == (4, 4) and resized[1].shape == (4,) and resized[2].shape == (3,)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    module, args = _example()
    out: Path = tmp_path_factory.mktemp("verify")
    sets = perturb_inputs(module.forward, args, dynamic={"x": {0: "batch"}})
    return {
        exporter: verify_module(module, args, path=out / f"{exporter}.onnx", exporter=exporter,
                                input_sets=sets, dynamic_axes={"x": {0: "batch"}})
        for exporter in ("dynamo", "legacy")
    }


@pytest.mark.ort
def test_dynamo_failure_points_at_the_user_line(reports: dict[str, Any]) -> None:
    report = reports["dynamo"]
    assert not report.export.ok and not report.ok
    failure = report.export.failure
    assert failure.cause_class == "GuardOnDataDependentSymNode"
    frame = first_user_frame(failure.frames)
    assert frame is not None and frame.path == __file__
    assert frame.source == "if y.sum() > 0:  # the baked branch"


@pytest.mark.ort
def test_legacy_bakes_the_branch_and_flipped_inputs_catch_it(reports: dict[str, Any]) -> None:
    report = reports["legacy"]
    assert report.export.ok and report.check is not None and report.check.ok
    assert report.export.dropped_inputs == ("flag",)
    assert report.export.input_names == ("x", "feats_0", "feats_1")
    by_case = {c.case: c for c in report.comparisons}
    assert by_case["example"].ok and by_case["values-1"].ok and by_case["sizes"].ok
    assert not by_case["flipped"].ok and by_case["flipped"].max_abs > 0.1
    assert [c.case for c in report.diverged] == ["flipped"]
    tracer = [w for w in report.export.warnings if w.category == "TracerWarning"]
    assert [(w.path, w.source) for w in tracer] == [(__file__, "if y.sum() > 0:  # the baked branch")]


@pytest.mark.ort
def test_reference_model_checks_a_wrapper_against_the_original(tmp_path: Path) -> None:
    class Flat(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, a: Any, b: Any) -> Any:
            return self.inner([a, b])

    class Original(nn.Module):
        def forward(self, xs: list[Any]) -> Any:
            return xs[0] * 2 + xs[1]

    wrapper = Flat(Original())
    extra = InputSet("other", (torch.ones(2), torch.zeros(2)))
    good = verify_module(wrapper, (torch.randn(2), torch.randn(2)), path=tmp_path / "w.onnx",
                         input_sets=[extra], reference=lambda a, b: a * 2 + b)
    assert good.ok and [c.case for c in good.comparisons] == ["example", "other"]
    bad = verify_module(wrapper, (torch.randn(2), torch.randn(2)), path=tmp_path / "w.onnx",
                        input_sets=[extra], reference=lambda a, b: a * 3 + b)
    assert not bad.ok and bad.comparisons[1].max_abs == pytest.approx(1.0)


def test_an_installed_model_package_is_user_code_but_the_exporters_are_not() -> None:
    import json
    import sysconfig

    from exportlint.verify.frames import is_user_path

    site = sysconfig.get_paths()["purelib"]
    assert is_user_path(f"{site}/sam3/model/sam3_tracker_base.py")
    assert not is_user_path(torch.__file__)
    assert not is_user_path(f"{Path(torch.__file__).parent}/export/_trace.py")
    assert not is_user_path(json.__file__)
    assert not is_user_path("<frozen runpy>")


def test_a_package_of_the_base_interpreter_is_user_code_inside_a_system_site_packages_venv(tmp_path: Path) -> None:
    # A venv made with --system-site-packages has its own purelib; the base interpreter's
    # site-packages (inside the base stdlib folder on pyenv) still holds the user's model package.
    import subprocess
    import sys
    import sysconfig

    base_site = sysconfig.get_paths()["purelib"]
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(tmp_path / "venv")],
                   check=True, timeout=120)
    python = tmp_path / "venv" / "bin" / "python"
    code = ("import json, sys; from exportlint.verify.frames import is_user_path; "
            "print(json.dumps([is_user_path(sys.argv[1]), is_user_path(json.__file__)]))")
    run = subprocess.run([str(python), "-c", code, f"{base_site}/sam3/model/sam3_tracker_base.py"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-1000:]
    assert run.stdout.strip() == "[true, false]"


class MaskedSoftmax(nn.Module):
    """Attention-style masking: a row whose every key is masked is NaN in eager."""

    def forward(self, scores: Any, key_padding_mask: Any) -> Any:
        return scores.masked_fill(key_padding_mask, float("-inf")).softmax(-1)


def test_an_inverted_padding_mask_keeps_one_key_open_per_row() -> None:
    mask = torch.tensor([[False, False, False], [True, False, False]])
    sets = {s.name: s for s in perturb_inputs(MaskedSoftmax().forward, (torch.randn(2, 3), mask))}
    flipped = sets["flipped"].args[1]
    assert flipped.tolist() == [[False, True, True], [False, True, True]]
    for name in ("values-1", "values-2"):
        assert not sets[name].args[1].all(dim=-1).any()


@pytest.mark.ort
def test_an_input_set_on_which_eager_gives_nan_is_rejected_not_a_divergence(tmp_path: Path) -> None:
    scores = torch.randn(2, 5)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    every_key_masked = InputSet("all-masked", (scores, ~mask))
    report = verify_module(MaskedSoftmax(), (scores, mask), path=tmp_path / "m.onnx",
                           input_sets=[*perturb_inputs(MaskedSoftmax().forward, (scores, mask)),
                                       every_key_masked])
    by_case = {c.case: c for c in report.comparisons}
    assert by_case["example"].ok and by_case["example"].eager_finite
    assert by_case["flipped"].ok and not by_case["flipped"].eager_failed
    rejected = by_case["all-masked"]
    assert rejected.eager_failed and not rejected.eager_finite and not rejected.ok
    assert rejected.failure is not None and rejected.failure.error_class == "NonFiniteEagerOutput"
    assert report.ok and report.diverged == ()


def test_graph_inputs_renamed_by_the_exporter_are_fed_by_position() -> None:
    from types import SimpleNamespace

    from exportlint.errors import VerifyError
    from exportlint.verify.flatten import Leaf
    from exportlint.verify.ort import build_feeds

    x, m = torch.randn(2, 3), torch.ones(2)
    inputs = [SimpleNamespace(name="x_orig", shape=[2, 3], type="tensor(float)"),
              SimpleNamespace(name="m", shape=[2], type="tensor(float)")]
    session = SimpleNamespace(get_inputs=lambda: inputs)
    feeds = build_feeds(session, [Leaf("x", x), Leaf("m", m)])
    assert list(feeds) == ["x_orig", "m"]
    assert (feeds["x_orig"] == x.numpy()).all() and (feeds["m"] == m.numpy()).all()
    wrong_rank = [SimpleNamespace(name="x_orig", shape=[6], type="tensor(float)"), inputs[1]]
    with pytest.raises(VerifyError, match="`x_orig` matches no example input"):
        build_feeds(SimpleNamespace(get_inputs=lambda: wrong_rank), [Leaf("x", x), Leaf("m", m)])
