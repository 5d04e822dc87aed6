"""Run the user's original module on a machine without CUDA, for reference outputs only.

Code that calls `.cuda()`, `.pin_memory()` or passes `device="cuda"` cannot run eagerly on
a CPU-only machine, yet the hardcoded-device fixer's wrapper must still be compared with the
original. Under `cpu_shim()`, a torch function mode maps those calls to the CPU: `.cuda()` and
`.pin_memory()` return the tensor, and a CUDA `device` argument becomes "cpu". Nothing else
changes, so the numbers are the original's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_CUDA_ERRORS = ("cuda", "pin memory", "pin_memory", "nvidia", "accelerator")


def needs_cpu_shim(error: BaseException) -> bool:
    """True when an eager failure comes from CUDA-only calls on this machine."""
    text = f"{type(error).__name__}: {error}".lower()
    return any(word in text for word in _CUDA_ERRORS)


def _is_cuda(device: Any) -> bool:
    return "cuda" in str(device)


@contextlib.contextmanager
def cpu_shim() -> Iterator[None]:
    """Map CUDA-only calls to the CPU while the block runs."""
    import torch
    from torch.overrides import TorchFunctionMode

    class _ToCpu(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                               kwargs: dict[str, Any] | None = None) -> Any:
            kwargs = dict(kwargs or {})
            if func in (torch.Tensor.cuda, torch.Tensor.pin_memory):
                return args[0]
            if _is_cuda(kwargs.get("device", "")):
                kwargs["device"] = "cpu"
            if func is torch.Tensor.to:
                args = tuple("cpu" if _is_cuda(a) and not isinstance(a, torch.Tensor) else a
                             for a in args)
            return func(*args, **kwargs)

    with _ToCpu():
        yield
