"""Import SAM3's builder functions through the shims, and check the version measured.

Importing this module imports SAM3 once (when the measured version is installed), so code that
imports SAM3's own modules afterwards finds them loaded: the wrapper `exportlint fix` writes
imports the model's class from its SAM3 module (`from sam3.model.encoder import ...`) right
after importing the factory, which on a CPU-only machine only works through the shims.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from types import ModuleType

from examples.sam3_real._shims import importable

VERSION = "0.1.4"


class MissingSam3(RuntimeError):
    """sam3 is not installed, or not the version these factories were measured with."""


def builder() -> ModuleType:
    """`sam3.model_builder`, imported on a CPU-only machine (see `_shims`)."""
    try:
        version = importlib.metadata.version("sam3")
    except importlib.metadata.PackageNotFoundError:
        raise MissingSam3(f'sam3 is not installed: pip install -c constraints.txt -e ".[sam3]"') from None
    if version != VERSION:
        raise MissingSam3(f"sam3 {version} is installed; these factories were measured on {VERSION}")
    with importable(), warnings.catch_warnings():
        # SAM3 decorates some video methods with CUDA autocast, which warns on a CPU machine.
        warnings.filterwarnings("ignore", message="CUDA is not available", category=UserWarning)
        import sam3.model.sam3_tracker_base  # noqa: F401
        import sam3.model_builder as model_builder
    return model_builder


def _preload() -> None:
    try:
        builder()
    except MissingSam3:
        pass  # make() raises it, with the install command


_preload()
