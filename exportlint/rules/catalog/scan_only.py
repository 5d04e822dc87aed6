"""The codes the scan reports about itself: suppression comments and internal errors."""

from __future__ import annotations

from exportlint.rules.catalog.entry import RuleDoc

INTERNAL_ERROR = RuleDoc(
    code="EXL000", name="internal-error", kind="internal",
    summary="exportlint itself failed on a file or in one rule",
    hint="Report it with the file; until fixed, `per-file-ignores` or `ignore` for the named rule keep the scan clean.",
    doc="""\
## What it does
Reported at line 1 of a file when analysing it raised an unexpected exception, either in the
shared analysis (the message says which step) or in one rule (the message names the rule).
The other files, and the other rules of the same file, are still checked.

## Why is this bad?
The file, or the one rule, was not checked: a real export blocker there goes unreported. It is
an error so that it cannot pass unnoticed.

## What to do
Report it with the file (or a small piece of code that shows it). Until it is fixed,
`per-file-ignores` or `ignore` for the rule named in the message keep the scan clean.
""")

UNUSED_IGNORE = RuleDoc(
    code="EXL001", name="unused-ignore", kind="suppression",
    summary="A `# exportlint: ignore` comment that suppresses nothing, or names an unknown rule",
    hint="Remove the stale key (or the whole comment) so it cannot hide a future finding.",
    doc="""\
## What it does
Checks `# exportlint: ignore[...]` comments. A key that names no rule (a misspelt slug or
code, e.g. `dynamic-brnch`) is always reported, with the closest known name as a
suggestion. With `--report-unused-ignores` (or `report-unused-ignores = true`), a key or a
bare comment that suppressed no finding of a rule that ran on the file is reported too.

## Why is this bad?
A misspelt key suppresses nothing, so the finding it was meant for still shows up, or, when
the finding goes away, the stale comment stays to hide a future one.

## Example
    if x.sum() > 0:  # exportlint: ignore[dynamic-brnch]
Use instead:
    if x.sum() > 0:  # exportlint: ignore[dynamic-branch]

## What to do
Correct the key, or remove it (or the whole comment) when nothing is reported there any more.
""")

SCAN_ONLY: tuple[RuleDoc, ...] = (INTERNAL_ERROR, UNUSED_IGNORE)
