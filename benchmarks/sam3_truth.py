"""What the real exporters do with Meta's SAM3 components: the truth the SAM3 tests check.

    python benchmarks/sam3_truth.py            # measure, print the table, compare with the data
    python benchmarks/sam3_truth.py --write    # ... and rewrite examples/sam3_real/truth.json

Needs ``pip install -c constraints.txt -e ".[probe,sam3]"``. Each factory of
`examples/sam3_real/` is run eagerly once under a line tracer (the SAM3 lines it executes are the
component's path), then exported with `torch.onnx.export(dynamo=True)` and `dynamo=False`, checked
with `onnx.checker` and compared with eager PyTorch on onnxruntime: on the example inputs and on
perturbed ones (other random values, negated values and inverted masks, integer inputs such as
`image_ids` mirrored in their range; eager NaN marks an input set the model does not accept).
Where an export fails, the site is the innermost frame inside the `sam3` package in the
traceback or in the frames the error quotes (`"located_by": "traceback"`). When no frame reaches
SAM3 (the ONNX translation fails on a graph node after tracing), it is the first executed SAM3
line that calls the operator the error names (`aten.repeat` -> `.repeat(`; a complex dtype the
exporter cannot type -> the first line making a complex tensor): `"located_by": "operator"`.
None of exportlint's rules or blame run here: the outcome is the exporters' and onnxruntime's.

The reference the table names: each component's outcome in `truth.json` as last written; the run
exits 1 when an outcome or a failing site changed (another torch, another SAM3).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import linecache
import logging
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TRUTH = ROOT / "examples" / "sam3_real" / "truth.json"
COMPONENTS = (
    ("encoder-layer", "encoder_layer", "make", "TransformerEncoderLayer.forward"),
    ("segmentation-head", "segmentation_head", "make", "UniversalSegmentationHead.forward"),
    ("segmentation-head-1-image", "segmentation_head", "make_single",
     "UniversalSegmentationHead.forward"),
    ("tracker-memory", "tracker_memory", "make", "Sam3TrackerBase._prepare_memory_conditioned_features"),
    ("memory-attention", "tracker_memory", "make_memory_attention",
     "TransformerEncoderCrossAttention.forward"),
)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The exporters' printing silenced (`onnx_harness.silenced`), their log records too."""
    from examples.onnx_harness import silenced

    logging.disable(logging.WARNING)
    try:
        with silenced():
            yield
    finally:
        logging.disable(logging.NOTSET)


def sam3_root() -> str:
    spec = importlib.util.find_spec("sam3")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit('sam3 is not installed: pip install -c constraints.txt -e ".[probe,sam3]"')
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def relative(path: str, root: str) -> str | None:
    """`sam3/model/encoder.py` for a file inside the package, else None."""
    real = os.path.realpath(path)
    if not real.startswith(root + os.sep):
        return None
    return "sam3/" + os.path.relpath(real, root).replace(os.sep, "/")


def traced_eager(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any], root: str
                 ) -> tuple[dict[str, list[int]], list[tuple[str, int]], BaseException | None]:
    """The SAM3 lines one eager call executes, them in order of first execution, and its error."""
    import torch

    lines: dict[str, set[int]] = {}
    order: dict[tuple[str, int], None] = {}
    names: dict[str, str | None] = {}

    def tracer(frame: Any, event: str, _arg: Any) -> Any:
        filename = frame.f_code.co_filename
        if filename not in names:
            names[filename] = relative(filename, root)
        name = names[filename]
        if name is None:
            return None
        if event == "line":
            lines.setdefault(name, set()).add(frame.f_lineno)
            order.setdefault((name, frame.f_lineno))
        return tracer

    error = None
    sys.settrace(tracer)
    try:
        with torch.no_grad():
            module(*args, **kwargs)
    except Exception as caught:  # noqa: BLE001 - eager failing is a measured outcome
        error = caught
    finally:
        sys.settrace(None)
    return {k: sorted(v) for k, v in sorted(lines.items())}, list(order), error


def site_of(failure: Any, root: str) -> dict[str, Any] | None:
    """The innermost (last) frame inside the sam3 package, of a `verify` `Failure`'s frames."""
    for frame in reversed(failure.frames):
        name = relative(frame.path, root)
        if name is not None:
            return {"path": name, "line": frame.line, "text": frame.source.strip(),
                    "located_by": "traceback"}
    return None


_ATEN = re.compile(r"aten\.(\w+)")
_COMPLEX_MAKERS = re.compile(r"\b(?:torch\.polar|view_as_complex|torch\.complex)\(")


def operator_site(error: str, order: list[tuple[str, int]], root: str) -> dict[str, Any] | None:
    """The first executed SAM3 line calling the operator the error names."""
    if m := _ATEN.search(error):
        wanted = re.compile(rf"[.\s]{m.group(1)}\(")
    elif "Complex" in error:
        wanted = _COMPLEX_MAKERS
    else:
        return None
    for name, line in order:
        text = linecache.getline(os.path.join(os.path.dirname(root), name), line)
        if wanted.search(text):
            return {"path": name, "line": line, "text": text.strip(), "located_by": "operator"}
    return None


def measure(name: str, module_name: str, factory: str, root: str, folder: str) -> dict[str, Any]:
    from exportlint.verify import perturb_inputs, verify_module
    from exportlint.verify.frames import failure_from_exception

    started = time.perf_counter()
    module_obj = importlib.import_module(f"examples.sam3_real.{module_name}")
    built = getattr(module_obj, factory)()
    module, args, kwargs = built[0], tuple(built[1]), dict(built[2]) if len(built) > 2 else {}
    executed, order, eager_error = traced_eager(module, args, kwargs, root)
    row: dict[str, Any] = {
        "component": name, "factory": f"examples/sam3_real/{module_name}.py:{factory}",
        "eager": "ok" if eager_error is None else "fails", "exporters": {},
        "executed": executed,
    }
    for exporter in ("dynamo", "legacy"):
        if eager_error is not None:
            failure = failure_from_exception(eager_error)
            row["exporters"][exporter] = {
                "outcome": "fails", "stage": "eager", "error": failure.evidence,
                "site": site_of(failure, root),
            }
            continue
        sets = perturb_inputs(module.forward, args, kwargs)
        with warnings.catch_warnings(), quiet():
            warnings.simplefilter("ignore")
            report = verify_module(module, args, kwargs, path=Path(folder) / f"{name}-{exporter}.onnx",
                                   exporter=exporter, input_sets=sets)
        result = _outcome(report, root)
        if result["outcome"] == "fails" and result.get("site") is None:
            result["site"] = operator_site(result["error"], order, root)
        row["exporters"][exporter] = result
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def _outcome(report: Any, root: str) -> dict[str, Any]:
    failure = report.export.failure
    if not report.export.ok and failure is not None:
        return {"outcome": "fails", "stage": "export", "error": failure.evidence,
                "site": site_of(failure, root)}
    if report.check is not None and not report.check.ok:
        return {"outcome": "fails", "stage": "onnx.checker",
                "error": report.check.failure.evidence if report.check.failure else "", "site": None}
    compared = [c.case for c in report.comparisons if not c.eager_failed]
    rejected = [c.case for c in report.comparisons if c.eager_failed]
    diverged = [c.case for c in report.diverged]
    return {"outcome": "wrong" if diverged else "ok", "stage": "onnxruntime",
            "compared": compared, "diverged": diverged, "eager_rejects": rejected,
            "max_abs": max((c.max_abs for c in report.comparisons if not c.eager_failed), default=0.0)}


def versions() -> dict[str, str]:
    import importlib.metadata as md

    return {name: md.version(name) for name in ("sam3", "torch", "onnx", "onnxruntime", "onnxscript")}


def table(rows: list[dict[str, Any]]) -> str:
    out = [f"{'component':28} {'eager':6} {'dynamo':8} {'legacy':8}  failing sites"]
    for row in rows:
        sites = []
        for exporter, result in row["exporters"].items():
            if result.get("site"):
                sites.append(f"{exporter}: {result['site']['path']}:{result['site']['line']}")
        ex = row["exporters"]
        out.append(f"{row['component']:28} {row['eager']:6} {ex['dynamo']['outcome']:8} "
                   f"{ex['legacy']['outcome']:8}  {'; '.join(dict.fromkeys(sites))}")
    return "\n".join(out)


def key(row: dict[str, Any]) -> list[Any]:
    """What must not change between runs: outcome and failing site per exporter."""
    return [(e, r["outcome"], (r.get("site") or {}).get("path"), (r.get("site") or {}).get("line"))
            for e, r in sorted(row["exporters"].items())]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {TRUTH.relative_to(ROOT)}")
    parser.add_argument("--only", action="append", default=[], help="a component name (repeatable)")
    options = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    root = sam3_root()
    rows = []
    with tempfile.TemporaryDirectory(prefix="exportlint-sam3-") as folder:
        for name, module_name, factory, _entry in COMPONENTS:
            if options.only and name not in options.only:
                continue
            rows.append(measure(name, module_name, factory, root, folder))
            print(f"measured {name} in {rows[-1]['seconds']} s", file=sys.stderr)
    print(table(rows))
    previous = json.loads(TRUTH.read_text()) if TRUTH.is_file() else {"components": []}
    before = {r["component"]: key(r) for r in previous["components"]}
    changed = [r["component"] for r in rows if before.get(r["component"]) != key(r)]
    same = len(rows) - len(changed)
    print(f"\nagainst {TRUTH.relative_to(ROOT)}: {same}/{len(rows)} components unchanged"
          + (f"; changed: {', '.join(changed)}" if changed else ""))
    if options.write:
        entries = {name: entry for name, _m, _f, entry in COMPONENTS}
        for row in rows:
            row["entry"] = entries[row["component"]]
        kept = [r for r in previous["components"] if r["component"] not in {x["component"] for x in rows}]
        data = {"measured_with": versions(), "components": kept + rows}
        order = [c[0] for c in COMPONENTS]
        data["components"].sort(key=lambda r: order.index(r["component"]))
        from exportlint.atomic import write_atomic

        write_atomic(TRUTH, json.dumps(data, indent=1) + "\n")
        print(f"wrote {TRUTH.relative_to(ROOT)}")
        return 0
    return 1 if changed and previous["components"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
