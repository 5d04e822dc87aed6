"""variable-length-cat fixer: concatenate a fixed number of slots, mask the empty ones.

It is one remedy with dict-access and dynamic-loop (see `dict_access.py`): every slot is
concatenated, and the attention reading the result gets a key padding mask for empty slots.
"""

from __future__ import annotations

from exportlint.fixers.dict_access import DictAccessFixer


class VariableLengthCatFixer(DictAccessFixer):
    rule = "variable-length-cat"
    title = "Concatenate fixed memory slots and mask the empty ones in attention"
