"""The codes only `exportlint probe` (and `scan --probe`) reports: what the exporters did that no
static rule names. Each finding sits at a line of the user's code, never a torch file.
"""

from __future__ import annotations

from exportlint.rules.catalog.entry import RuleDoc

EAGER_FAILURE = RuleDoc(
    code="EXL901", name="eager-failure", kind="probe only",
    summary="The model fails in eager mode on its own example inputs",
    hint="fix the model or its example inputs first: this is not an export problem",
    doc="""\
## What it does
Reported when the probe's first step, the plain eager forward on the factory's example inputs,
raises. The finding sits at the innermost line of your code in the traceback (the `def forward`
line when none is yours); its evidence is the error. An error that names CUDA or pinned memory
is reported as `hardcoded-device` (EXL303) instead.

## Why is this bad?
Nothing can be exported or compared without a working eager forward, so the probe stops here:
no exporter runs and no other finding is made for the target.

## What to do
Fix the model or the example inputs `FACTORY()` returns until `module(*args)` runs, then probe
again.
""")

OUTPUT_DIVERGENCE = RuleDoc(
    code="EXL902", name="output-divergence", kind="probe only",
    summary="onnxruntime differs from eager on other inputs, with no line to blame",
    hint="compare intermediate outputs to find the baked value",
    doc="""\
## What it does
Reported when an exporter produced a model that onnxruntime runs on the example inputs, but
its outputs differ from eager (or onnxruntime raises) on one of the input sets: the examples,
other values, a "flipped" set that changes data-dependent decisions, scaled values, other sizes
of `--dynamic` axes. When the legacy tracer left a TracerWarning at a line of your code, the
finding goes to that line under the matching rule; otherwise (always for the dynamo exporter)
it is this one, at the `def forward` line. The evidence names the input set, the difference and
the graph inputs the exported model ignores.

## Why is this bad?
The exported graph baked in something the example inputs decided (a branch, a loop count, a
value turned into a Python number): it is silently wrong on other inputs.

## What to do
Run `exportlint scan` on the model's files for the known patterns, or compare intermediate
outputs of eager and onnxruntime to find where the graph stops following the inputs.
""")

EXPORT_ERROR = RuleDoc(
    code="EXL903", name="export-error", kind="probe only",
    summary="An exporter failed for a reason no rule names",
    hint="read the evidence; run `exportlint scan` on the module for known patterns",
    doc="""\
## What it does
Reported when `torch.onnx.export` (dynamo or legacy) raises and neither the kind of error nor
the code at the failing line points to a rule (a data-dependent guard, a Python number, an
unsupported or complex op, a device, a loop over a tensor, a branch). The finding sits at the
innermost line of your code in the traceback, or at `def forward` when the traceback holds
none; the evidence is the exporter's own error.

## Why is this bad?
The exporter gives no ONNX file for this target.

## What to do
Read the evidence. Run `exportlint scan` on the module's files: a static finding at the same
line usually names the pattern and its fix. Trying the other exporter (`--exporter`) tells
whether the problem is specific to one.
""")

INVALID_ONNX = RuleDoc(
    code="EXL904", name="invalid-onnx", kind="probe only",
    summary="onnx.checker rejects the exported file",
    hint="report the exporter bug with the model; try the other exporter",
    doc="""\
## What it does
Reported when an exporter wrote an ONNX file without raising but `onnx.checker` rejects it.
The finding sits at the `def forward` line; the evidence is the checker's error.

## Why is this bad?
An invalid model is not loaded by onnxruntime or other back ends; the exporter produced
something it should not have.

## What to do
This is an exporter bug: report it with the model. Meanwhile try the other exporter
(`--exporter dynamo|legacy`) or another opset.
""")

ONNXRUNTIME_ERROR = RuleDoc(
    code="EXL905", name="onnxruntime-error", kind="probe only",
    summary="onnxruntime cannot load or run the exported file",
    hint="try the other exporter or a different opset",
    doc="""\
## What it does
Reported when the exported file passes `onnx.checker` but onnxruntime fails to load it or to
run it on the example inputs. The finding sits at the `def forward` line; the evidence is
onnxruntime's error. A custom-domain op that a `torch.autograd.Function`'s `symbolic` emits
(`g.op("trt_plugins::FastGelu", x)`) is reported as `unsupported-op` at each executed
`FastGelu.apply(...)` call instead; this finding names the op when no `symbolic` emits it.

## Why is this bad?
The model cannot be served with onnxruntime even on the inputs it was exported with.

## What to do
Try the other exporter (`--exporter`) or a different opset; an operator onnxruntime lacks can
be rewritten with supported ops.
""")

PROBE_TIMEOUT = RuleDoc(
    code="EXL906", name="probe-timeout", kind="probe only",
    summary="The target ran past --timeout and was stopped",
    hint="raise --timeout or probe a smaller submodule (--depth)",
    doc="""\
## What it does
Reported when the child process probing a target (building it, the eager run, the captures,
the exports and the onnxruntime comparisons) runs longer than `--timeout` seconds (default
300, or `timeout` in the config) and is stopped. The finding sits at the factory's `def` line.

## Why is this bad?
Nothing is known about the target's exports: the probe has no report for it.

## What to do
Raise `--timeout`, probe with a smaller configuration of the model, or lower `--depth` (each
submodule of the table is exported too).
""")

PROBE_CRASH = RuleDoc(
    code="EXL907", name="probe-crash", kind="probe only",
    summary="The child process probing the target died before reporting",
    hint="probe submodules one at a time (--depth) to find the one that crashes",
    doc="""\
## What it does
Reported when the child process probing a target exits without a report: a segfault in a
native library, `os._exit`, or a kill (for example by the out-of-memory killer). The finding
sits at the factory's `def` line; the evidence names the signal or exit code.

## Why is this bad?
Nothing is known about the target's exports, and the same crash can hit a real export.

## What to do
Run the export by hand to see the crash, or probe submodules one at a time (`--depth`) to find
the one that takes the process down.
""")

PROBE_ONLY: tuple[RuleDoc, ...] = (
    EAGER_FAILURE, OUTPUT_DIVERGENCE, EXPORT_ERROR, INVALID_ONNX, ONNXRUNTIME_ERROR,
    PROBE_TIMEOUT, PROBE_CRASH,
)
