"""variable-length-cat fixer: concatenate a fixed number of slots, mask the empty ones.

The rewrite is the fixed-slot memory remedy (`fixers/memory/slots.py`), which also fixes
dict-access and dynamic-loop, and is applied once when several of them are selected: every
slot is concatenated, and the attention reading the result gets a key padding mask for the
empty slots.
"""

from __future__ import annotations

from exportlint.fixers.memory.slots import FixedSlotMemoryFixer


class VariableLengthCatFixer(FixedSlotMemoryFixer):
    rule = "variable-length-cat"
    title = "Concatenate fixed memory slots and mask the empty ones in attention"
