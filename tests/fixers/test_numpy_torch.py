"""The numpy-to-torch codemod: same-meaning torch calls, or a refusal naming what has none."""

from __future__ import annotations

import libcst as cst

from exportlint.fixers.rewrites.numpy_torch import NumpyToTorch


def _rewrite(source: str) -> tuple[str, list[str]]:
    rewrite = NumpyToTorch("np")
    return cst.parse_module(source).visit(rewrite).code, rewrite.unsupported


def test_a_round_trip_becomes_torch_ops_with_dim_for_axis() -> None:
    out, unsupported = _rewrite(
        "a = t.detach().cpu().numpy()\n"
        "b = np.maximum(np.sum(a, axis=1), 0.0)\n"
        "c = np.minimum(1.0, a)\n"
        "d = np.concatenate([a, a], axis=0).astype(np.float32)\n"
        "e = torch.from_numpy(d)\n")
    assert unsupported == []
    assert out == ("a = t.detach()\n"
                   "b = torch.clamp(torch.sum(a, dim=1), min=0.0)\n"
                   "c = torch.clamp(a, max=1.0)\n"
                   "d = torch.cat([a, a], dim=0).to(torch.float32)\n"
                   "e = d\n")


def test_a_numpy_call_without_a_torch_twin_is_named() -> None:
    _, unsupported = _rewrite("a = t.numpy()\nb = np.percentile(a, 90)\n")
    assert unsupported == ["`np.percentile` has no torch rewrite here"]
