"""dict-access fixer: the memory dict becomes fixed memory slots and a validity mask.

The rewrite is the fixed-slot memory remedy (`fixers/memory/slots.py`), which also fixes
dynamic-loop and variable-length-cat: the code gathering frames from the dict runs on the host
in `gather_memory`, `export_inputs` stacks what it gathers into one slot per possible frame
(zeros where a frame is missing), and the graph takes `memory_<key>` tensors plus
`memory_valid`.
"""

from __future__ import annotations

from exportlint.fixers.memory.slots import FixedSlotMemoryFixer


class DictAccessFixer(FixedSlotMemoryFixer):
    rule = "dict-access"
    title = "Fixed-slot memory: stacked memory tensors and a validity mask instead of a dict"
