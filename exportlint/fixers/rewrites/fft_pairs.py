"""FFTs as real matmuls with DFT matrices, on complex values stored as (re, im) pairs.

The legacy ONNX exporter has no FFT operator. A DFT of size n is a matrix product, so
`torch.fft.rfft2(x, norm="ortho")` becomes `_rfftn_pairs(x, dim=(-2, -1), norm="ortho")`, a helper
the wrapper defines: it builds the cos/sin matrices from the tensor's sizes with
arange/cos/sin and multiplies, so the graph holds only MatMul, Mul, Add and shape ops. The sizes
are read when the graph runs, so a dynamic axis gets matrices of its size. The helpers honour
`n`/`s`, `dim` and `norm` as torch.fft defines them (trimming, zero padding, irfft's Hermitian
half-spectrum). `HELPERS` holds their sources; `rewrite_fft` turns one call."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

DFT_MATRIX = '''
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
'''

FFT = '''
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
'''

RFFT = '''
def _rfft_pairs(x: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:
    """torch.fft.rfft of a real `x`: its n // 2 + 1 non-negative frequency bins as (..., 2) pairs."""
    signal = x.transpose(dim, -1)
    n = signal.shape[-1] if n is None else n
    cos, sin = _dft_matrix(signal.shape[-1], n // 2 + 1, n, False, norm, x.dtype)
    return torch.stack(((signal @ cos).transpose(dim, -1), (signal @ sin).transpose(dim, -1)), dim=-1)
'''

IRFFT = '''
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
'''

FFT_DIMS = '''
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
'''

FFTN = '''
def _fftn_pairs(x: Tensor, s: tuple[int, ...] | None = None,
                dim: int | tuple[int, ...] | None = None, norm: str | None = None,
                inverse: bool = False) -> Tensor:
    """torch.fft.fftn (inverse: ifftn) of a complex `x` stored as (..., 2) real pairs: one
    1-D transform per dimension in `dim`, each of the size `s` gives it."""
    for n, d in _fft_dims(x.dim() - 1, s, dim):
        x = _fft_pairs(x, n, d, norm, inverse)
    return x
'''

RFFTN = '''
def _rfftn_pairs(x: Tensor, s: tuple[int, ...] | None = None,
                 dim: int | tuple[int, ...] | None = None, norm: str | None = None) -> Tensor:
    """torch.fft.rfftn of a real `x` as (..., 2) pairs: rfft over the last dimension in `dim`,
    then fft over the others."""
    *others, (n, last) = _fft_dims(x.dim(), s, dim)
    x = _rfft_pairs(x, n, last, norm)
    for size, d in others:
        x = _fft_pairs(x, size, d, norm)
    return x
'''

IRFFTN = '''
def _irfftn_pairs(x: Tensor, s: tuple[int, ...] | None = None,
                  dim: int | tuple[int, ...] | None = None, norm: str | None = None) -> Tensor:
    """torch.fft.irfftn of a complex `x` stored as (..., 2) real pairs: ifft over every
    dimension in `dim` but the last, then irfft over the last; the result is real."""
    *others, (n, last) = _fft_dims(x.dim() - 1, s, dim)
    for size, d in others:
        x = _fft_pairs(x, size, d, norm, inverse=True)
    return _irfft_pairs(x, n, last, norm)
'''

# NOTE: the helpers swap the transformed dimension last with `transpose`, not `movedim`: after a
# legacy export's movedim, a later size read of the tensor is constant-folded to garbage (torch 2.13).
# `_dft_matrix` spells t*k mod n with `//`: dynamo cannot convert a tensor % a symbolic size.
# Name -> source, each after the helpers it calls; and what each helper calls.
HELPERS = {"_dft_matrix": DFT_MATRIX, "_fft_pairs": FFT, "_rfft_pairs": RFFT, "_irfft_pairs": IRFFT,
           "_fft_dims": FFT_DIMS, "_fftn_pairs": FFTN, "_rfftn_pairs": RFFTN, "_irfftn_pairs": IRFFTN}
_CALLS = {"_fft_pairs": {"_dft_matrix"}, "_rfft_pairs": {"_dft_matrix"}, "_irfft_pairs": {"_dft_matrix"},
          "_fftn_pairs": {"_fft_dims", "_fft_pairs"},
          "_rfftn_pairs": {"_fft_dims", "_rfft_pairs", "_fft_pairs"},
          "_irfftn_pairs": {"_fft_dims", "_fft_pairs", "_irfft_pairs"}}


@dataclass(frozen=True)
class _Transform:
    helper: str
    real_in: bool  # takes a real signal (rfft); the others take a complex value
    real_out: bool  # gives a real signal (irfft)
    multi: bool = False  # an n-dimensional transform: `s` and a tuple `dim`
    inverse: bool = False  # ifft*: the helper is told with `inverse=True`
    default_dim: str = ""  # the 2-D transforms' `dim` default, spelled out for the helper


_TWO_D = "(-2, -1)"
TRANSFORMS = {
    "fft": _Transform("_fft_pairs", False, False),
    "ifft": _Transform("_fft_pairs", False, False, inverse=True),
    "rfft": _Transform("_rfft_pairs", True, False),
    "irfft": _Transform("_irfft_pairs", False, True),
    "fft2": _Transform("_fftn_pairs", False, False, True, default_dim=_TWO_D),
    "ifft2": _Transform("_fftn_pairs", False, False, True, True, _TWO_D),
    "rfft2": _Transform("_rfftn_pairs", True, False, True, default_dim=_TWO_D),
    "irfft2": _Transform("_irfftn_pairs", False, True, True, default_dim=_TWO_D),
    "fftn": _Transform("_fftn_pairs", False, False, True),
    "ifftn": _Transform("_fftn_pairs", False, False, True, True),
    "rfftn": _Transform("_rfftn_pairs", True, False, True),
    "irfftn": _Transform("_irfftn_pairs", False, True, True),
}


@dataclass(frozen=True)
class FftCall:
    """One rewritten FFT call: the helper call, whether it gives a complex value, the helper."""

    call: cst.Call
    complex_out: bool
    helper: str


def helpers_for(names: set[str]) -> dict[str, str]:
    """The sources of helpers `names` and of every helper they call, callees first."""
    needed = set(names)
    while True:
        more = set().union(*(_CALLS.get(n, set()) for n in needed)) - needed
        if not more:
            break
        needed |= more
    return {name: source for name, source in HELPERS.items() if name in needed}


def rewrite_fft(call: cst.Call, name: str, complex_in: bool) -> FftCall | str:
    """The helper call for `torch.fft.<name>(...)`, or why there is none.

    Args:
        call: the call, its arguments already rewritten.
        name: the function's name in torch.fft (`rfft2`).
        complex_in: whether the first argument is a complex value held as pairs.

    Returns:
        The rewritten call, or a reason naming the call (the caller reports manual work).
    """
    text = f"`{cst.Module([]).code_for_node(call)}`"
    transform = TRANSFORMS.get(name)
    if transform is None:
        return (f"{text}: torch.fft.{name} is not rewritten (fft, ifft, rfft, irfft and their "
                "2-D and n-D forms are)")
    size = "s" if transform.multi else "n"
    positional = [a for a in call.args if a.keyword is None]
    keywords = [a.keyword.value for a in call.args if a.keyword is not None]
    if any(a.star for a in call.args) or not positional or len(positional) > 4 or \
            set(keywords) - {size, "dim", "norm"}:
        return f"{text}: only torch.fft's input, {size}, dim and norm arguments are rewritten"
    if transform.real_in and complex_in:
        return f"{text}: torch.fft.{name} of a complex value"
    args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in call.args]
    if not transform.real_in and not complex_in:
        args[0] = args[0].with_changes(value=_as_pairs(args[0].value))
    if transform.default_dim and "dim" not in keywords and len(positional) < 3:
        at = next((i for i, a in enumerate(args) if a.keyword and a.keyword.value == "norm"), len(args))
        args.insert(at, _keyword("dim", transform.default_dim))
    if transform.inverse:
        args.append(_keyword("inverse", "True"))
    new = call.with_changes(func=cst.Name(transform.helper), args=args)
    return FftCall(new, not transform.real_out, transform.helper)


def _as_pairs(value: cst.BaseExpression) -> cst.BaseExpression:
    """A real signal as complex pairs with zero imaginary parts (torch.fft.fft of a real tensor)."""
    code = cst.Module([]).code_for_node(value)
    return cst.parse_expression(f"torch.stack(({code}, torch.zeros_like({code})), dim=-1)")


def _keyword(name: str, value: str) -> cst.Arg:
    return cst.Arg(cst.parse_expression(value), keyword=cst.Name(name),
                   equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
