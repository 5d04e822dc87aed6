"""Compare onnxruntime outputs with eager outputs: max abs / max rel error per output."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from exportlint.verify.results import OutputDiff

DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-4


def compare_arrays(
    name: str, expected: Any, actual: Any, rtol: float = DEFAULT_RTOL, atol: float = DEFAULT_ATOL
) -> OutputDiff:
    """One output's difference; NaN in the same places on both sides counts as equal."""
    import numpy as np

    want, got = np.asarray(expected), np.asarray(actual)
    if want.shape != got.shape:
        return OutputDiff(name, float("inf"), float("inf"), False,
                          f"shape {tuple(got.shape)} != eager {tuple(want.shape)}")
    if want.size == 0:
        return OutputDiff(name, 0.0, 0.0, True)
    if np.iscomplexobj(want) != np.iscomplexobj(got):
        return OutputDiff(name, float("inf"), float("inf"), False,
                          f"dtype {got.dtype} != eager {want.dtype}")
    want64, got64 = _as_float(want), _as_float(got)
    both_nan = np.isnan(want64) & np.isnan(got64)
    err = np.where(both_nan, 0.0, np.abs(want64 - got64))
    err = np.where(np.isnan(err), np.inf, err)
    scale = np.abs(np.nan_to_num(want64))
    rel = err / np.maximum(scale, np.finfo(np.float64).tiny)
    ok = bool(np.all(err <= atol + rtol * scale))
    return OutputDiff(name, float(err.max()), float(np.where(err == 0, 0.0, rel).max()), ok)


def _as_float(array: Any) -> Any:
    import numpy as np

    return array.astype(np.complex128 if np.iscomplexobj(array) else np.float64)


def compare_outputs(
    expected: Sequence[Any],
    actual: Sequence[Any],
    names: Sequence[str] = (),
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> tuple[OutputDiff, ...]:
    """Pairwise comparison of flattened outputs; a count mismatch is one failed diff."""
    labels = list(names) + [f"out_{i}" for i in range(len(names), len(expected))]
    diffs = [compare_arrays(labels[i], e, a, rtol, atol)
             for i, (e, a) in enumerate(zip(expected, actual))]
    if len(expected) != len(actual):
        detail = f"{len(actual)} outputs, eager has {len(expected)}"
        diffs.append(OutputDiff("outputs", float("inf"), float("inf"), False, detail))
    return tuple(diffs)
