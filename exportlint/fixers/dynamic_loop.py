"""dynamic-loop fixer: the loop over a memory dict becomes a loop over fixed slots.

The rewrite is the fixed-slot memory remedy (`fixers/memory/slots.py`), which also fixes
dict-access and variable-length-cat, and is applied once when several of them are selected:
the loop that picks frames runs on the host; the graph loops over every slot, masked.
"""

from __future__ import annotations

from exportlint.fixers.memory.slots import FixedSlotMemoryFixer


class DynamicLoopFixer(FixedSlotMemoryFixer):
    rule = "dynamic-loop"
    title = "Loop over fixed memory slots (host-side frame selection, masked slots in the graph)"
