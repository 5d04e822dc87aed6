"""Fixers: one per rule, each changing a wrapper plan so the wrapper exports faithfully.

`exportlint fix` builds the user's module in a child process, traces one eager forward,
applies the fixers to a `WrapperPlan`, renders the wrapper module, then exports it and checks
it on onnxruntime against the eager original (see `pipeline.py` and `verification.py`).
"""

from exportlint.fixers.registry import ALL_FIXERS, FIXERS_BY_RULE, select_fixers

__all__ = ["ALL_FIXERS", "FIXERS_BY_RULE", "select_fixers"]
