"""The bundled examples: they build and run, their expected sites are stable, and the headline
export outcomes recorded in examples/README.md still hold (`-m ort`)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from expected_sites import CLEAN, SITES

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FACTORIES = [
    "sam3_like/encoder.py:make",
    "sam3_like/encoder.py:make_dac",
    "sam3_like/encoder.py:make_post",
    "sam3_like/encoder.py:make_stack",
    "sam3_like/segmentation_head.py:make",
    "sam3_like/segmentation_head.py:make_aux",
    "sam3_like/segmentation_head.py:make_no_dec",
    "sam3_like/tracker.py:make",
    "other/rope_attention.py:make",
    "other/detection_head.py:make",
    "other/clean_block.py:make",
]
SEED_RULES = {
    "examples/sam3_like/encoder.py": {"dynamic-branch", "injected-module"},
    "examples/sam3_like/segmentation_head.py": {
        "list-tensor-input",
        "data-dependent-index",
        "dynamic-branch",
    },
    "examples/sam3_like/tracker.py": {"dynamic-loop", "dict-access", "variable-length-cat"},
}
ALL_RULES = {
    "dynamic-branch", "list-tensor-input", "data-dependent-index", "dict-access",
    "dynamic-loop", "variable-length-cat", "tensor-to-python", "unsupported-op",
    "hardcoded-device", "injected-module",
}  # fmt: skip


def load(target: str) -> tuple[Any, tuple[Any, ...]]:
    from examples.export_cases import load as load_case

    return load_case(target)


def run(module: Any, args: tuple[Any, ...]) -> Any:
    import torch

    with torch.no_grad():
        return module(*args)


@pytest.mark.parametrize("target", FACTORIES)
def test_factory_builds_an_eval_module_that_runs(target: str) -> None:
    from torch.utils import _pytree as pytree

    module, args = load(target)
    assert isinstance(args, tuple)
    assert not module.training
    first = pytree.tree_leaves(run(module, args))
    again = pytree.tree_leaves(run(*load(target)))
    assert first and all((a == b).all() for a, b in zip(first, again))


def test_device_pinned_cannot_run_on_cpu() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("the point of this example is a machine without a GPU")
    module, args = load("other/device_pinned.py:make")
    with pytest.raises((RuntimeError, AssertionError)):
        run(module, args)


@pytest.mark.parametrize("name", ["encoder", "segmentation_head", "tracker"])
def test_sam3_like_files_also_load_by_path(name: str) -> None:
    path = ROOT / "examples" / "sam3_like" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_by_path_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model, args = module.make()
    run(model, args)


@pytest.mark.parametrize("path,snippet", [(s.path, s.snippet) for s in SITES] + CLEAN)
def test_snippet_names_exactly_one_line(path: str, snippet: str) -> None:
    lines = (ROOT / path).read_text().splitlines()
    assert sum(snippet in line for line in lines) == 1


def test_sites_cover_the_seed_table_and_every_rule() -> None:
    for path, rules in SEED_RULES.items():
        assert rules <= {s.rule for s in SITES if s.path == path}, path
    assert {s.rule for s in SITES} == ALL_RULES
    assert all(s.severity in ("error", "warning", "info") and s.why for s in SITES)


# --- what the exporters really do (one export per example and exporter) -----------------


class Exported:
    """One export of a factory's module: the graph path, or the exception the export raised."""

    def __init__(self, target: str, exporter: str, tmp: Path) -> None:
        from examples.onnx_harness import export

        self.module, self.args = load(target)
        self.legacy = exporter == "legacy"
        self.path = str(tmp / f"{target.replace('/', '_').replace(':', '_')}_{exporter}.onnx")
        self.error: BaseException | None = None
        try:
            export(self.module, self.args, exporter, self.path, None)
        except Exception as exc:  # noqa: BLE001 - the failure is what some tests pin
            self.error = exc

    def matches(self, args: tuple[Any, ...]) -> bool:
        from examples.onnx_harness import compare, run_graph

        assert self.error is None, self.error
        return compare(
            run(self.module, args), run_graph(self.path, self.module, args, self.legacy)
        )[0]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cache: dict[tuple[str, str], Exported] = {}
    tmp = tmp_path_factory.mktemp("onnx")

    def get(target: str, exporter: str) -> Exported:
        if (target, exporter) not in cache:
            cache[target, exporter] = Exported(target, exporter, tmp)
        return cache[target, exporter]

    return get


def _rand(*shape: int, seed: int = 1) -> Any:
    from examples.export_cases import rand

    return rand(*shape, seed=seed)


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


@pytest.mark.ort
@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
def test_encoder_layer_exports_and_matches_but_bakes_dac(exporter: str, exported: Any) -> None:
    e = exported("sam3_like/encoder.py:make", exporter)
    tgt, memory, dac, pos, query_pos = e.args
    assert e.matches(e.args)
    assert e.matches((_rand(12, 2, 16), _rand(6, 2, 16, seed=2), dac, pos, query_pos))
    assert not e.matches((tgt, memory, True, pos, query_pos))


@pytest.mark.ort
@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
def test_segmentation_head_tensor_index_exports_right(exporter: str, exported: Any) -> None:
    from examples.export_cases import _seg_inputs

    e = exported("sam3_like/segmentation_head.py:make", exporter)
    assert e.matches(e.args)
    assert e.matches(_seg_inputs(2, [0, 0, 1], seed=7))


@pytest.mark.ort
def test_tracker_is_right_under_dynamo_and_silently_wrong_under_legacy(exported: Any) -> None:
    dynamo = exported("sam3_like/tracker.py:make", "dynamo")
    legacy = exported("sam3_like/tracker.py:make", "legacy")
    assert dynamo.matches(dynamo.args)
    assert legacy.error is None
    assert not legacy.matches(legacy.args)


@pytest.mark.ort
def test_detection_head_fails_under_dynamo_and_bakes_under_legacy(exported: Any) -> None:
    from examples.export_cases import _low_score_queries

    dynamo = exported("other/detection_head.py:make", "dynamo")
    assert dynamo.error is not None
    assert type(_root_cause(dynamo.error)).__name__ == "GuardOnDataDependentSymNode"
    legacy = exported("other/detection_head.py:make", "legacy")
    assert legacy.matches(legacy.args)
    assert not legacy.matches((_low_score_queries(legacy.module, 10),))


@pytest.mark.ort
def test_complex_rope_converts_under_dynamo_only(exported: Any) -> None:
    dynamo = exported("other/rope_attention.py:make", "dynamo")
    assert dynamo.matches((_rand(2, 16, 16),))
    legacy = exported("other/rope_attention.py:make", "legacy")
    assert legacy.error is not None and "view_as_complex" in str(legacy.error)


@pytest.mark.ort
@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
def test_device_pinned_fails_to_export(exporter: str, exported: Any) -> None:
    assert exported("other/device_pinned.py:make", exporter).error is not None


@pytest.mark.ort
@pytest.mark.parametrize("exporter", ["dynamo", "legacy"])
def test_clean_block_exports_and_matches(exporter: str, exported: Any) -> None:
    e = exported("other/clean_block.py:make", exporter)
    assert e.matches(e.args)
    assert e.matches((_rand(2, 6, 16, seed=5),))
