"""dynamic-loop fixer: the loop over a memory dict becomes a loop over fixed slots.

It is one remedy with dict-access and variable-length-cat (see `dict_access.py`): the loop
that picks frames runs on the host; the graph loops over every slot, masked.
"""

from __future__ import annotations

from exportlint.fixers.dict_access import DictAccessFixer


class DynamicLoopFixer(DictAccessFixer):
    rule = "dynamic-loop"
    title = "Loop over fixed memory slots (host-side frame selection, masked slots in the graph)"
