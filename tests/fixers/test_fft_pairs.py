"""FFTs as DFT matmuls on (re, im) pairs: the wrapper's helpers against torch.fft, the call
rewrite, and the forms left as manual work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import libcst as cst
import pytest
import torch

from exportlint.fixers.pipeline.request import FixRequest
from exportlint.fixers.pipeline.run import fix_target
from exportlint.fixers.rewrites.complex_pairs import ComplexToPairs
from exportlint.fixers.rewrites.fft_pairs import HELPERS, FftCall, helpers_for, rewrite_fft
from exportlint.report.fix_json import fix_report_data

NORMS = (None, "backward", "ortho", "forward")


@pytest.fixture(scope="module")
def helpers() -> dict[str, Any]:
    """The helper functions exactly as the wrapper defines them."""
    namespace: dict[str, Any] = {"torch": torch, "Tensor": torch.Tensor}
    source = "from __future__ import annotations\n" + "\n".join(HELPERS.values())
    exec(compile(source, "<fft helpers>", "exec"), namespace)  # noqa: S102 - the wrapper's own helpers
    return namespace


def _pairs(value: torch.Tensor) -> torch.Tensor:
    return torch.view_as_real(value)


def _close(got: torch.Tensor, want: torch.Tensor, atol: float = 1e-10) -> None:
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    assert (got - want).abs().max().item() < atol


@pytest.mark.parametrize("length", [5, 6, 7, 8])
@pytest.mark.parametrize("n", [None, 3, 4, 9, 12])  # shorter: trimmed; longer: zero-padded
@pytest.mark.parametrize("norm", NORMS)
def test_1d_transforms_match_torch_fft(helpers: dict[str, Any], length: int, n: int | None,
                                       norm: str | None) -> None:
    torch.manual_seed(length)
    signal = torch.randn(3, length, 4, dtype=torch.float64)
    spectrum = torch.randn(3, length, 4, 2, dtype=torch.float64)
    value = torch.view_as_complex(spectrum)
    for dim in (1, -2):
        _close(helpers["_fft_pairs"](spectrum, n, dim, norm), _pairs(torch.fft.fft(value, n, dim, norm)))
        _close(helpers["_fft_pairs"](spectrum, n, dim, norm, inverse=True),
               _pairs(torch.fft.ifft(value, n, dim, norm)))
        _close(helpers["_rfft_pairs"](signal, n, dim, norm), _pairs(torch.fft.rfft(signal, n, dim, norm)))
        _close(helpers["_irfft_pairs"](spectrum, n, dim, norm), torch.fft.irfft(value, n, dim, norm))


@pytest.mark.parametrize("n", [6, 7])
def test_irfft_ignores_the_imaginary_parts_of_dc_and_nyquist(helpers: dict[str, Any], n: int) -> None:
    clean = torch.randn(2, n // 2 + 1, 2, dtype=torch.float64)
    clean[:, 0, 1] = 0.0
    if n % 2 == 0:
        clean[:, -1, 1] = 0.0
    noisy = clean.clone()
    noisy[:, 0, 1] = 100.0
    if n % 2 == 0:
        noisy[:, -1, 1] = -100.0
    want = torch.fft.irfft(torch.view_as_complex(noisy), n)
    _close(helpers["_irfft_pairs"](noisy, n), want)
    _close(helpers["_irfft_pairs"](clean, n), want)
    if n % 2 == 1:  # odd n: the last bin is an ordinary one, its imaginary part counts
        moved = noisy.clone()
        moved[:, -1, 1] += 1.0
        assert (helpers["_irfft_pairs"](moved, n) - want).abs().max() > 0.1


@pytest.mark.parametrize(("s", "dim"), [(None, None), ((4, 9), None), (None, (1, 2)),
                                        ((6, 5), (0, -1)), ((3, 4, 8), (1, 2, 3)), ((5, -1), (1, 3))])
@pytest.mark.parametrize("norm", NORMS)
def test_nd_transforms_match_torch_fft(helpers: dict[str, Any], s: tuple[int, ...] | None,
                                       dim: tuple[int, ...] | None, norm: str | None) -> None:
    torch.manual_seed(1)
    spectrum = torch.randn(2, 5, 6, 7, 2, dtype=torch.float64)
    value, signal = torch.view_as_complex(spectrum), spectrum[..., 0].contiguous()
    _close(helpers["_fftn_pairs"](spectrum, s, dim, norm), _pairs(torch.fft.fftn(value, s, dim, norm)))
    _close(helpers["_fftn_pairs"](spectrum, s, dim, norm, inverse=True),
           _pairs(torch.fft.ifftn(value, s, dim, norm)))
    _close(helpers["_rfftn_pairs"](signal, s, dim, norm), _pairs(torch.fft.rfftn(signal, s, dim, norm)))
    _close(helpers["_irfftn_pairs"](spectrum, s, dim, norm), torch.fft.irfftn(value, s, dim, norm))


def test_float32_stays_float32_and_close(helpers: dict[str, Any]) -> None:
    signal = torch.randn(4, 64, 33)
    got = helpers["_irfftn_pairs"](helpers["_rfftn_pairs"](signal, dim=(1, 2)), s=(64, 33), dim=(1, 2))
    assert got.dtype == torch.float32
    _close(got, torch.fft.irfft2(torch.fft.rfft2(signal, dim=(1, 2)), s=(64, 33), dim=(1, 2)), 1e-5)
    _close(helpers["_rfft_pairs"](signal, dim=1, norm="ortho"),
           _pairs(torch.fft.rfft(signal, dim=1, norm="ortho")), 1e-5)


def test_helpers_for_brings_what_each_helper_calls_in_order() -> None:
    assert list(helpers_for({"_irfftn_pairs"})) == ["_dft_matrix", "_fft_pairs", "_irfft_pairs",
                                                    "_fft_dims", "_irfftn_pairs"]
    assert list(helpers_for({"_rfft_pairs"})) == ["_dft_matrix", "_rfft_pairs"]


def _rewrite(code: str, complex_in: bool = False) -> str:
    call = cst.parse_expression(code)
    assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
    done = rewrite_fft(call, call.func.attr.value, complex_in)
    return cst.Module([]).code_for_node(done.call) if isinstance(done, FftCall) else done


def test_calls_become_helper_calls_with_torch_arguments() -> None:
    assert _rewrite('torch.fft.rfft2(x, norm="ortho")') == '_rfftn_pairs(x, dim=(-2, -1), norm="ortho")'
    assert _rewrite("torch.fft.irfft2(x, s=(h, w), dim=(1, 2))", True) == "_irfftn_pairs(x, s=(h, w), dim=(1, 2))"
    assert _rewrite("torch.fft.irfft2(x, (h, w), (1, 2))", True) == "_irfftn_pairs(x, (h, w), (1, 2))"
    assert _rewrite("torch.fft.ifft(x, 8, 1)", True) == "_fft_pairs(x, 8, 1, inverse=True)"
    assert _rewrite("torch.fft.rfftn(x)") == "_rfftn_pairs(x)"
    # A real signal into a complex transform: zero imaginary parts, as torch.fft does.
    assert _rewrite("torch.fft.fft(x, dim=0)") == "_fft_pairs(torch.stack((x, torch.zeros_like(x)), dim=-1), dim=0)"


def test_forms_without_a_rewrite_say_why() -> None:
    assert "torch.fft.fftshift is not rewritten (fft, ifft" in _rewrite("torch.fft.fftshift(x)", True)
    assert "torch.fft.hfft is not rewritten" in _rewrite("torch.fft.hfft(x)", True)
    assert "only torch.fft's input, n, dim and norm" in _rewrite("torch.fft.rfft(x, out=y)")
    assert "only torch.fft's input, s, dim and norm" in _rewrite("torch.fft.fft2(*args)")
    assert "torch.fft.rfft of a complex value" in _rewrite("torch.fft.rfft(x)", True)


def test_an_rfft_result_is_complex_for_the_codemod() -> None:
    source = ("def f(self, x):\n    y = torch.fft.rfft(x, dim=1)\n    y = y * torch.view_as_complex(self.w)\n"
              "    return torch.fft.irfft(y, n=7, dim=1).flatten(1)\n")
    rewrite = ComplexToPairs(names=set(), attrs=set(), twins={})
    out = cst.parse_module(source).visit(rewrite).code
    assert rewrite.unsupported == []
    assert "y = _rfft_pairs(x, dim=1)\n" in out
    assert "y = _complex_mul(y, self.w)\n" in out
    # irfft's result is real: `.flatten(1)` stays as written (no pair dimension to step over).
    assert "return _irfft_pairs(y, n=7, dim=1).flatten(1)\n" in out
    assert rewrite.fft_helpers == {"_rfft_pairs", "_irfft_pairs"} and len(rewrite.fft_calls) == 2


SHIFTED = '''
import torch
from torch import Tensor, nn


class Shifted(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        spectrum = torch.fft.fft2(x)
        centred = torch.fft.fftshift(spectrum, dim=(-2, -1))
        return torch.fft.ifft2(centred).real


def make():
    return Shifted(), (torch.randn(2, 6, 6),)
'''


@pytest.mark.ort
def test_an_fft_form_without_a_rewrite_stays_manual_naming_its_line(tmp_path: Path) -> None:
    source = tmp_path / "shifted.py"
    source.write_text(SHIFTED, encoding="utf-8")
    request = FixRequest(target=f"{source}:make", out=str(tmp_path / "out"), rules=("unsupported-op",),
                         exporter="both", cwd=str(tmp_path))
    report = fix_report_data(fix_target(request), with_source=True)
    assert report["ok"] is False
    reasons = [m["reason"] for m in report["manual"] if m["line"] == 9]  # the fftshift line itself
    assert any("torch.fft.fftshift is not rewritten" in r for r in reasons), reasons
    assert any("fftshift(spectrum" in r and "legacy raises" in r for r in reasons), reasons


SMOOTH = """
import torch
from torch import Tensor, nn


class Smooth(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        spectrum = torch.fft.rfft(x, norm="ortho")
        return torch.fft.irfft(spectrum * 0.5, n=x.shape[-1], norm="ortho") + x


def make():
    return Smooth(), (torch.randn(2, 9),)
"""


@pytest.mark.ort
def test_a_dynamic_fft_length_gets_matrices_of_its_size(tmp_path: Path) -> None:
    source = tmp_path / "smooth.py"
    source.write_text(SMOOTH, encoding="utf-8")
    request = FixRequest(target=f"{source}:make", out=str(tmp_path / "out"), rules=("unsupported-op",),
                         exporter="both", dynamic={"x": {"1": "length"}}, cwd=str(tmp_path))
    report = fix_report_data(fix_target(request), with_source=True)
    assert report["ok"] and not report["manual"], report["manual"]
    assert 'return _irfft_pairs(spectrum * 0.5, n=x.shape[-1], norm="ortho") + x' in report["source"]
    for verdict in report["exporters"]:
        cases = {c["case"]: c for c in verdict["cases"]}
        assert "sizes" in cases  # another length than the example's, through the same graph
        assert all(c["ok"] and max(o["max_abs"] for o in c["outputs"]) < 1e-5 for c in cases.values())
