"""The files `exportlint fix` writes for one target (written through `exportlint.atomic`), and the wrapper read back."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from exportlint.model import ExporterChoice, selected_exporters


def onnx_paths(out_dir: Path, name: str, exporter: ExporterChoice) -> dict[str, Path]:
    """Where each exporter's file goes: `<name>.onnx`, and `<name>.legacy.onnx` with both."""
    chosen = selected_exporters(exporter)
    if len(chosen) == 1:
        return {chosen[0]: out_dir / f"{name}.onnx"}
    return {"dynamo": out_dir / f"{name}.onnx", "legacy": out_dir / f"{name}.legacy.onnx"}


def output_files(out_dir: Path, name: str, exporter: ExporterChoice) -> list[Path]:
    """Every file `fix` writes for one target."""
    onnx = list(onnx_paths(out_dir, name, exporter).values())
    return [out_dir / f"{name}_export.py", *onnx, out_dir / f"{name}_report.json"]


def import_wrapper(path: Path, name: str) -> ModuleType:
    """Import the written wrapper module from its file."""
    module_name = f"exportlint_wrapper_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
