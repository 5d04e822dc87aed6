"""ONNX export wrapper for `SpectralBlock`, written by `exportlint fix`.

Target: tests/fixers/unsupported_op/global_filter.in.py:make
The wrapper reuses the module the factory builds: its views share the original's
parameters, buffers and submodules (nothing is copied), and the user's code is not edited.

Frozen or rewritten (the export keeps only these paths):
- unsupported-op (global_filter.in.py:12): `spectral_mix` uses complex tensors: the wrapper calls
  `spectral_mix_pairs`, the same math on real (re, im) pairs.
- unsupported-op (global_filter.in.py:25): `GlobalFilter.forward` uses complex tensors: rewritten
  on real (re, im) pairs.
- unsupported-op (global_filter.in.py:41): `SpectralBlock.forward` uses complex tensors: rewritten
  on real (re, im) pairs.
- unsupported-op (global_filter.in.py:15): the FFTs (lines 15, 17, 27, 29) are matmuls with DFT
  matrices on real (re, im) pairs: the legacy exporter has no FFT operator.

Graph inputs: x.
Graph outputs: output.
Run this file to export `global_filter.onnx` next to it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch
from torch import Tensor, nn

_USER_FILE = Path(__file__).resolve().parent / "global_filter.in.py"
_USER_MODULE = "exportlint_target_unsupported_op_global_filter"


def _load_user_module() -> ModuleType:
    """Load the user's file once, under the name `exportlint fix` used for it."""
    loaded = sys.modules.get(_USER_MODULE)
    if loaded is not None and Path(loaded.__file__ or "").resolve() == _USER_FILE.resolve():
        return loaded
    spec = importlib.util.spec_from_file_location(_USER_MODULE, _USER_FILE)
    assert spec is not None and spec.loader is not None, f"cannot load {_USER_FILE}"
    module = importlib.util.module_from_spec(spec)
    sys.modules[_USER_MODULE] = module
    spec.loader.exec_module(module)
    return module


_user = _load_user_module()
GlobalFilter = _user.GlobalFilter
SpectralBlock = _user.SpectralBlock
make = _user.make


def _adopt(model: nn.Module, classes: dict[str, type[nn.Module]]) -> nn.Module:
    """A view of `model` in which the submodules at the paths in `classes` have those classes.

    A view is a new object of the given class sharing the original's `__dict__` entries: the
    same parameters, buffers and submodules, so nothing is copied and the weights stay the
    user's. The original modules are not modified.
    """
    return _view(model, "", classes)


def _view(module: nn.Module, path: str, classes: dict[str, type[nn.Module]]) -> nn.Module:
    cls = classes.get(path, type(module))
    view = cls.__new__(cls)
    view.__dict__.update(module.__dict__)
    prefix = f"{path}." if path else ""
    children = dict(module._modules)
    for name, child in children.items():
        inner = f"{prefix}{name}"
        if child is not None and any(p == inner or p.startswith(f"{inner}.") for p in classes):
            children[name] = _view(child, inner, classes)
    view.__dict__["_modules"] = children
    # Own dicts (same tensors): attributes the wrapper adds never reach the original.
    view.__dict__["_parameters"] = dict(module._parameters)
    view.__dict__["_buffers"] = dict(module._buffers)
    return view


def _complex_mul(a: Tensor, b: Tensor) -> Tensor:
    """(a_re + i a_im)(b_re + i b_im) for complex numbers stored as (..., 2) real pairs."""
    re = a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1]
    im = a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0]
    return torch.stack((re, im), dim=-1)


def _dft_matrix(rows: int, bins: int, n: int, inverse: bool, norm: str | None,
                dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Real and imaginary parts of the (rows, bins) matrix of a size-`n` DFT, scaled as `norm` says.

    Entry (t, k) is exp(-2*pi*i * t*k / n), exp(+2*pi*i * t*k / n) for the inverse transform. Rows
    from `n` on are zero, so a longer input is trimmed to `n` samples; a shorter one needs no rows
    for its zero padding. As in torch.fft, `norm` names the direction scaled by 1/n
    ("backward", the default: the inverse) and "ortho" scales both by 1/sqrt(n).
    """
    t = torch.arange(rows)[:, None]
    k = torch.arange(bins)[None, :]
    # t*k mod n keeps every angle in [0, 2*pi): cos and sin stay accurate for long transforms.
    turns = t * k
    angle = (turns - turns // n * n).to(dtype) * (2 * torch.pi / n)
    if norm == "ortho":
        scale = n ** -0.5
    elif (norm or "backward") == ("backward" if inverse else "forward"):
        scale = 1.0 / n
    else:
        scale = 1.0
    kept = (t < n).to(dtype) * scale
    return torch.cos(angle) * kept, torch.sin(angle) * (kept if inverse else -kept)


def _fft_pairs(x: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None,
               inverse: bool = False) -> Tensor:
    """torch.fft.fft (inverse: torch.fft.ifft) of a complex `x` stored as (..., 2) real pairs.

    `n`, `dim` and `norm` are torch.fft's; `dim` counts the dimensions of the complex value.
    """
    re, im = x[..., 0].transpose(dim, -1), x[..., 1].transpose(dim, -1)
    n = re.shape[-1] if n is None else n
    cos, sin = _dft_matrix(re.shape[-1], n, n, inverse, norm, re.dtype)
    out_re = re @ cos - im @ sin
    out_im = re @ sin + im @ cos
    return torch.stack((out_re.transpose(dim, -1), out_im.transpose(dim, -1)), dim=-1)


def _rfft_pairs(x: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """torch.fft.rfft of a real `x`: its n // 2 + 1 non-negative frequency bins as (..., 2) pairs."""
    signal = x.transpose(dim, -1)
    n = signal.shape[-1] if n is None else n
    cos, sin = _dft_matrix(signal.shape[-1], n // 2 + 1, n, False, norm, x.dtype)
    return torch.stack(((signal @ cos).transpose(dim, -1), (signal @ sin).transpose(dim, -1)), dim=-1)


def _irfft_pairs(x: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """torch.fft.irfft of a complex `x` stored as (..., 2) real pairs: a real signal of n samples.

    As torch does, it reads the first n // 2 + 1 bins (fewer are zero-padded) as half of a
    Hermitian spectrum: each bin but DC and, for even n, Nyquist also stands for its mirror
    image, and the imaginary parts of DC and Nyquist are ignored.
    """
    re, im = x[..., 0].transpose(dim, -1), x[..., 1].transpose(dim, -1)
    bins = re.shape[-1]
    n = 2 * (bins - 1) if n is None else n
    cos, sin = _dft_matrix(bins, n, n, True, norm, re.dtype)
    k = torch.arange(bins)[:, None]
    used = (k <= n // 2).to(re.dtype)
    mirrored = ((k > 0) & (2 * k < n)).to(re.dtype)
    signal = re @ (cos * (used + mirrored)) - im @ (sin * (2 * mirrored))
    return signal.transpose(dim, -1)


def _fft_dims(ndim: int, s: tuple[int, ...] | None, dim: int | tuple[int, ...] | None
              ) -> list[tuple[int | None, int]]:
    """(size, dim) of each dimension an n-dimensional torch.fft transform works on.

    As in torch.fft, `dim` defaults to the last len(s) dimensions, or to all of them without
    `s`; a size of None or -1 keeps the input's length.
    """
    dims = (dim,) if isinstance(dim, int) else dim
    if dims is None:
        dims = range(ndim) if s is None else range(ndim - len(s), ndim)
    if s is None:
        return [(None, d) for d in dims]
    # Sizes read from shapes are tensors under the legacy exporter: only an int can be -1.
    return [(None if isinstance(size, int) and size == -1 else size, d) for size, d in zip(s, dims)]


def _rfftn_pairs(x: Tensor, s: tuple[int, ...] | None = None,
                 dim: int | tuple[int, ...] | None = None, norm: str | None = None) -> Tensor:
    """torch.fft.rfftn of a real `x` as (..., 2) pairs: rfft over the last dimension in `dim`,
    then fft over the others."""
    *others, (n, last) = _fft_dims(x.dim(), s, dim)
    x = _rfft_pairs(x, n, last, norm)
    for size, d in others:
        x = _fft_pairs(x, size, d, norm)
    return x


def _irfftn_pairs(x: Tensor, s: tuple[int, ...] | None = None,
                  dim: int | tuple[int, ...] | None = None, norm: str | None = None) -> Tensor:
    """torch.fft.irfftn of a complex `x` stored as (..., 2) real pairs: ifft over every
    dimension in `dim` but the last, then irfft over the last; the result is real."""
    *others, (n, last) = _fft_dims(x.dim() - 1, s, dim)
    for size, d in others:
        x = _fft_pairs(x, size, d, norm, inverse=True)
    return _irfft_pairs(x, n, last, norm)


def spectral_mix_pairs(tokens: Tensor, weight: Tensor) -> Tensor:
    """`spectral_mix` with complex numbers stored as (re, im) pairs in a trailing dimension."""
    length = tokens.shape[1]
    spectrum = _rfft_pairs(tokens, dim=1, norm="forward")
    spectrum = _complex_mul(spectrum, weight)
    return _irfft_pairs(spectrum, n=length, dim=1, norm="forward")


class GlobalFilterForExport(GlobalFilter):
    """`GlobalFilter` with rewritten copies of: forward."""

    def forward(self, x: Tensor) -> Tensor:
        _, h, w, _ = x.shape
        x = _rfftn_pairs(x, dim=(1, 2))
        x = _complex_mul(x, self.complex_weight)
        return _irfftn_pairs(x, s=(h, w), dim=(1, 2))


class SpectralBlockForExport(SpectralBlock):
    """`SpectralBlock` with rewritten copies of: forward."""

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.filter(self.norm(x))
        tokens = x.flatten(1, 2)
        tokens = tokens + spectral_mix_pairs(tokens, self.token_weight)
        return tokens + self.mlp(tokens)


class SpectralBlockExport(nn.Module):
    """Export view of `SpectralBlock`: flat tensor inputs, flat tensor outputs."""

    def __init__(self, model: SpectralBlock) -> None:
        super().__init__()
        self.model = _adopt(model, {"": SpectralBlockForExport, "filter": GlobalFilterForExport})

    def forward(self, x: Tensor) -> Tensor:
        """Graph inputs: x."""
        out = self.model(x)
        return out

    def export_inputs(self, x) -> tuple[Tensor, ...]:
        """The graph inputs for one call of the original module, in INPUT_NAMES order."""
        return (x,)


INPUT_NAMES = ("x",)
OUTPUT_NAMES = ("output",)
DYNAMIC_AXES: dict[str, dict[int, str]] = {}


def make_export() -> tuple[SpectralBlockExport, tuple[Tensor, ...]]:
    """The wrapper around the module `make()` builds, and its example inputs."""
    module, args = make()
    wrapper = SpectralBlockExport(module)
    return wrapper, wrapper.export_inputs(*args)


if __name__ == "__main__":
    model, inputs = make_export()
    torch.onnx.export(
        model.eval(),
        inputs,
        str(Path(__file__).with_name("global_filter.onnx")),
        input_names=list(INPUT_NAMES),
        output_names=list(OUTPUT_NAMES),
        dynamic_axes=DYNAMIC_AXES or None,
        dynamo=True,
        external_data=False,
    )
