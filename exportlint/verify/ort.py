"""`onnx.checker` and onnxruntime: feed inputs by name, return outputs as numpy arrays."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from exportlint.errors import VerifyError
from exportlint.verify.flatten import Leaf, to_numpy
from exportlint.verify.frames import failure_from_exception
from exportlint.verify.results import CheckResult


def check_onnx(path: str) -> CheckResult:
    """Run `onnx.checker.check_model` (full check) on the file at `path`."""
    import onnx

    try:
        onnx.checker.check_model(path, full_check=True)
    except Exception as error:  # noqa: BLE001 - a checker failure is data
        return CheckResult(False, failure_from_exception(error))
    return CheckResult(True)


@functools.lru_cache(maxsize=8)
def _session(path: str, mtime_ns: int) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def open_session(path: str) -> Any:
    """An onnxruntime CPU session for `path` (cached while the file is unchanged)."""
    import os

    return _session(path, os.stat(path).st_mtime_ns)


def build_feeds(session: Any, leaves: list[Leaf]) -> dict[str, Any]:
    """Feeds for every graph input, looked up by name among the flattened example inputs.

    A graph input no leaf is named after takes the leaf in its position among the unmatched
    ones, when as many are left and their ranks agree: the dynamo exporter renames an input
    that forward reassigns or checks (`x_orig`), keeping the flattened input order.

    Raises:
        VerifyError: a graph input has no example value, by name or by position.
    """
    by_name = {leaf.name: leaf for leaf in leaves}
    inputs = list(session.get_inputs())
    chosen: dict[str, Leaf] = {i.name: by_name[i.name] for i in inputs if i.name in by_name}
    missing = [i for i in inputs if i.name not in chosen]
    used = {id(leaf) for leaf in chosen.values()}
    spare = [leaf for leaf in leaves if id(leaf) not in used and _is_array(leaf.value)]
    if missing and len(missing) == len(spare) and all(_rank_fits(i, leaf) for i, leaf in zip(missing, spare)):
        chosen.update({i.name: leaf for i, leaf in zip(missing, spare)})
    feeds: dict[str, Any] = {}
    for graph_input in inputs:
        if graph_input.name not in chosen:
            raise VerifyError(
                f"graph input `{graph_input.name}` matches no example input "
                f"(have: {', '.join(by_name) or 'none'})"
            )
        feeds[graph_input.name] = _as_input(to_numpy(chosen[graph_input.name].value), graph_input.type)
    return feeds


def _is_array(value: Any) -> bool:
    return hasattr(value, "shape")


def _rank_fits(graph_input: Any, leaf: Leaf) -> bool:
    shape = getattr(graph_input, "shape", None)
    return not isinstance(shape, list) or len(shape) == len(getattr(leaf.value, "shape", ()))


_ORT_DTYPES = {
    "tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
    "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int8)": "int8",
    "tensor(uint8)": "uint8", "tensor(bool)": "bool", "tensor(int16)": "int16",
}


def _as_input(array: Any, ort_type: str) -> Any:
    dtype = _ORT_DTYPES.get(ort_type)
    return array.astype(dtype) if dtype and str(array.dtype) != dtype else array


def run_onnxruntime(path: str, leaves: list[Leaf]) -> list[Any]:
    """Run the model at `path` on the named leaves; returns the outputs in graph order."""
    session = open_session(path)
    return list(session.run(None, build_feeds(session, leaves)))


def run_feeds(path: str, feeds: Mapping[str, Any]) -> list[Any]:
    """Run the model at `path` on explicit `{input_name: array}` feeds (extra names ignored)."""
    session = open_session(path)
    wanted = {i.name for i in session.get_inputs()}
    return list(session.run(None, {k: v for k, v in feeds.items() if k in wanted}))
