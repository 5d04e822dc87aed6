"""Export a module with either ONNX exporter and run the graph on onnxruntime, fed by input name.

Shared by `check_exports.py` and the tests. The exporters name and drop inputs differently:
`input_leaves` names every input the way each one sees it (`feats_0`, `output_dict_cond_0_...`),
so a graph can be fed by name whatever it kept. torch, onnx and onnxruntime are imported lazily.
"""

from __future__ import annotations

import fnmatch
import inspect
import io
import os
import re
import sys
import tempfile
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

RUNNER_FILES = {"check_exports.py", "export_cases.py", "onnx_harness.py"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ORT_STATUS = re.compile(r"Name:'([^']*)'.*? false\. (.*)$")
_USER_LINE = re.compile(r"(examples/[\w/]+\.py)\", line (\d+)")


def input_leaves(module: Any, args: tuple[Any, ...], legacy: bool) -> list[tuple[str, Any]]:
    """Name every input the exporter sees, in its order (`feats_0`, `mem_cond_0_features`)."""
    params = list(inspect.signature(module.forward).parameters.values())
    values = list(zip([p.name for p in params], args))
    if legacy:
        # NOTE: the legacy exporter fills in the defaults of parameters the call left out.
        values += [(p.name, p.default) for p in params[len(args) :] if p.default is not p.empty]
    out: list[tuple[str, Any]] = []
    for name, value in values:
        _walk(name, value, legacy, out)
    return out


_NUMBER_DTYPES = {bool: "bool", int: "int64", float: "float64"}


def _walk(name: str, value: Any, legacy: bool, out: list[tuple[str, Any]]) -> None:
    import torch

    if isinstance(value, dict):
        for key, item in value.items():
            if legacy and isinstance(key, (bool, int, float)):
                # NOTE: the legacy exporter turns number keys into tensors, and inputs.
                out.append((f"{name}_{key}_key", torch.tensor(key)))
            _walk(f"{name}_{key}", item, legacy, out)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _walk(f"{name}_{i}", item, legacy, out)
    elif isinstance(value, torch.Tensor):
        out.append((name, value))
    elif legacy and isinstance(value, (bool, int, float)):
        # NOTE: and Python numbers into tensors; a float becomes a float64 input.
        out.append((name, torch.tensor(value, dtype=getattr(torch, _NUMBER_DTYPES[type(value)]))))


def _dynamo_shapes(module: Any, args: tuple[Any, ...], dynamic: dict[str, dict[int, str]]) -> Any:
    import torch

    def build(name: str, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: build(f"{name}_{k}", v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(build(f"{name}_{i}", v) for i, v in enumerate(value))
        axes = _axes(dynamic, name) if isinstance(value, torch.Tensor) else None
        return {a: torch.export.Dim.DYNAMIC for a in axes} if axes else None

    params = list(inspect.signature(module.forward).parameters)
    return tuple(build(p, v) for p, v in zip(params, args))


def _axes(dynamic: dict[str, dict[int, str]], name: str) -> dict[int, str] | None:
    return next((axes for pat, axes in dynamic.items() if fnmatch.fnmatch(name, pat)), None)


@contextmanager
def silenced() -> Iterator[None]:
    """Swallow what the exporters print (whole graphs on failure), from Python and from C++."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def export(
    module: Any, args: tuple[Any, ...], exporter: str, path: str, dynamic: dict[str, Any] | None
) -> list[str]:
    """Export to `path`; return the legacy tracer's warnings that point into the examples."""
    import torch

    legacy = exporter == "legacy"
    kwargs: dict[str, Any] = {"dynamo": not legacy, "verbose": False}
    if legacy:
        names = [n for n, _ in input_leaves(module, args, legacy=True)]
        kwargs["input_names"] = names
        if dynamic:
            kwargs["dynamic_axes"] = {n: a for n in names if (a := _axes(dynamic, n))}
    elif dynamic:
        kwargs["dynamic_shapes"] = _dynamo_shapes(module, args, dynamic)
    with warnings.catch_warnings(record=True) as caught, silenced():
        warnings.simplefilter("always")
        torch.onnx.export(module, args, path, **kwargs)
    return sorted(
        {
            f"{w.category.__name__} at {Path(w.filename).name}:{w.lineno}"
            for w in caught
            if _is_example(w.filename)
        }
    )


def _is_example(filename: str) -> bool:
    """A frame in an example model (not in this runner)."""
    path = Path(filename)
    return "examples" in path.parts and path.name not in RUNNER_FILES


def describe_error(exc: BaseException) -> str:
    """`ErrorClass: first line [at file.py:line]`, the line being the deepest example frame."""
    root = exc
    while root.__cause__ is not None:
        root = root.__cause__
    text = _ANSI.sub("", str(root)).strip().splitlines()
    first = " ".join(text[:2] if text and text[0].endswith(":") else text[:1])
    if m := _ORT_STATUS.search(first):  # keep the node and the reason, drop the C++ location
        first = f"node {m.group(1)}: {m.group(2)}"
    first = first[:200]
    name = type(exc).__name__
    if root is not exc:
        name += f" <- {type(root).__name__}"
    frames = [f for f in _USER_LINE.findall(str(exc)) if _is_example(f[0])]
    tb = [f for f in traceback.extract_tb(exc.__traceback__) if _is_example(f.filename)]
    where = ""
    if frames:
        where = f" [at {Path(frames[-1][0]).name}:{frames[-1][1]}]"
    elif tb:
        where = f" [at {Path(tb[-1].filename).name}:{tb[-1].lineno}]"
    return f"{name}: {first}{where}"


def run_graph(path: str, module: Any, args: tuple[Any, ...], legacy: bool) -> list[Any]:
    """Run the exported graph on `args`, fed by input name."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 4  # a failing run is reported as data, not logged
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    feeds = {n: v.detach().numpy() for n, v in input_leaves(module, args, legacy)}
    missing = [i.name for i in session.get_inputs() if i.name not in feeds]
    if missing:
        raise KeyError(f"the graph wants input(s) this call does not have: {missing}")
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def compare(expected: Any, got: list[Any]) -> tuple[bool, str]:
    """Whether onnxruntime matches eager, and the max abs error or the shape difference."""
    import numpy as np
    import torch
    from torch.utils import _pytree as pytree

    want = [t.detach().numpy() for t in pytree.tree_leaves(expected) if torch.is_tensor(t)]
    if len(want) != len(got):
        return False, f"{len(got)} outputs, eager has {len(want)}"
    err = 0.0
    for w, g in zip(want, got):
        if w.shape != g.shape:
            return False, f"output shape {list(g.shape)}, eager {list(w.shape)}"
        if w.size:
            err = max(err, float(np.abs(w.astype(np.float64) - g).max()))
    ok = all(np.allclose(w, g, atol=1e-4, rtol=1e-3) for w, g in zip(want, got))
    return ok, f"max abs err {err:.2g}"


def eager(module: Any, args: tuple[Any, ...]) -> Any:
    import torch

    with torch.no_grad():
        return module(*args)
