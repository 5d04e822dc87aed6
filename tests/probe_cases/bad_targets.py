"""Factories that cannot be probed: each must give a one-line error naming the target."""

from __future__ import annotations

import ctypes
import os
import time
from typing import Any


def raises() -> Any:
    raise RuntimeError("checkpoint not found")


def wrong_shape() -> Any:
    import torch

    return torch.nn.Linear(2, 2), (torch.ones(1, 2),), {}, "extra"


def hangs() -> Any:
    time.sleep(600)


def exits() -> Any:
    os._exit(7)


def segfaults() -> Any:
    return ctypes.string_at(0)
