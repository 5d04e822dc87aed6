"""The tracker memory pattern: where forward gathers memory from a dict, and its slot layout.

Static side: in the root `forward`, the *gather region* runs from `L = []` to the last
statement that reads the memory dict; `L` is the list the dict's entries are appended to.
Runtime side: the region, run as a function (`gather_memory`) on a memory dict in which every
looked-up frame is present, gives the maximum layout: one slot per element of `L`, each with
its key (the element's non-tensor part, e.g. `t_pos`) and, for frames found by lookup, the
dict path and key it came from. An entry is one frame's memory: a dict of tensors keyed by
strings (`{"tokens": ..., "pos": ...}`), or a bare tensor (`dict[int, Tensor]` banks), whose
one tensor the layout names `slots`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from exportlint.fixers.wrapper.bindings import free_names


@dataclass
class GatherRegion:
    """Statements `start..end` (indices in forward's body) build `list_name` from `param`."""

    param: str
    list_name: str
    start: int
    end: int
    statements: list[cst.BaseStatement]
    # Every list the region gathers into, `list_name` first: parallel lists (`tokens`, `pos`)
    # get one element per frame each, and become one entry key each.
    lists: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.lists:
            self.lists = (self.list_name,)

    @property
    def parallel(self) -> bool:
        return len(self.lists) > 1


@dataclass
class Slot:
    """One memory slot: its key, and the dict path + key of the frame it reads (None: always there)."""

    key: tuple[Any, ...]
    source: tuple[tuple[Any, ...], Any] | None = None
    path: tuple[Any, ...] = ()  # where the slot's entry sits in a memory holding every slot


@dataclass
class MemoryLayout:
    """The fixed-slot layout of the memory at its maximum."""

    slots: list[Slot]
    entry_index: int | None  # position of the entry in each element (None: the element is it)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    dtypes: dict[str, str] = field(default_factory=dict)
    bare: bool = False  # entries are tensors, not dicts of tensors (their one key is BARE)
    # The memory's frames, when the gathered entries are computed from them (else the same).
    frame_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    frame_dtypes: dict[str, str] = field(default_factory=dict)
    frame_bare: bool = False
    # The gathering walked a dict of frames (its keys, items, values or length) rather than
    # looking frames up by key: it holds at most as many frames as the example had, unless
    # `bounded` says the code itself caps the count (see `grow_walked`).
    enumerated: bool = False
    walked: tuple[tuple[Any, ...], ...] = ()  # key paths of the dicts of frames it walked
    bounded: bool = False  # a memory with more frames gathers no more: the code's own cap


BARE = "slots"  # the entry key the layout gives the tensor of a bare tensor entry


def is_entry(value: Any) -> bool:
    """A memory entry: a tensor, or a non-empty dict of tensors keyed by strings."""
    import torch

    if isinstance(value, torch.Tensor):
        return True
    return isinstance(value, Mapping) and bool(value) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def entry_tensors(entry: Any) -> dict[str, Any]:
    """An entry's tensors by entry key (`{BARE: tensor}` for a bare tensor)."""
    return dict(entry) if isinstance(entry, Mapping) else {BARE: entry}


def make_entry(tensors: dict[str, Any], bare: bool) -> Any:
    """The entry holding `tensors` (see `entry_tensors`): a bare tensor or a dict."""
    return tensors[BARE] if bare else dict(tensors)


def entries_in(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    """Every memory entry in a nested dict, with its key path."""
    if is_entry(value):
        return [(path, value)]
    if isinstance(value, Mapping):
        return [found for k, v in value.items() for found in entries_in(v, (*path, k))]
    return []


def find_region(body: list[cst.BaseStatement], param: str) -> GatherRegion | str:
    """The gather region of forward's body for the memory dict `param`, or why there is none."""
    reads = [i for i, stmt in enumerate(body) if param in free_names([stmt])]
    if not reads:
        return f"`{param}` is never read in forward"
    end = _gathered_later(body, reads[-1])
    appended = list(dict.fromkeys(_appended_lists(body[end])))
    built = _comprehension_list(body[end])
    if built is not None:
        appended = [built]
    if not appended:
        return (f"the last statement reading `{param}` appends to no list (nor builds one "
                "with a list comprehension)")
    later = free_names(body[end + 1:])
    # The list gathered last, and any other gathered list read after the region (parallel
    # lists: `tokens.append(f["feat"]); pos.append(f["pos"])`); one only the region reads stays.
    appended = [n for n in appended[:-1] if n in later] + appended[-1:]
    starts = {}
    for name in appended:
        made = [i for i in range(end + 1) if name in _assigned(body[i])]
        if not made:
            return f"`{name}` is not created in forward"
        starts[name] = made[0]
    start = min(starts.values())
    # Statements just before it that only prepare the lookups (`cur = int(frame_idx)`) go too.
    while start > 0 and _only_for(body[start - 1], body[start:end + 1], later):
        start -= 1
    leaked = sorted((_assigned_all(body[start:end + 1]) - set(appended)) & later)
    if leaked:
        return f"names set while gathering memory are used after it: {', '.join(leaked)}"
    return GatherRegion(param, appended[-1], start, end, body[start:end + 1], tuple(appended))


def _gathered_later(body: list[cst.BaseStatement], end: int) -> int:
    """The statement that builds the gathered list, when the last read of the memory only picks
    frames for it: `newest = sorted(bank.items())[-k:]` then `feats = [f for _, f in newest]`.
    The picked names must be read by that statement and by nothing after it."""
    while True:
        stmt = body[end]
        picked = _assigned(stmt)
        if not picked or _appended_lists(stmt) or _comprehension_list(stmt) is not None:
            return end
        users = [i for i in range(end + 1, len(body)) if picked & free_names([body[i]])]
        if not users or picked & free_names(body[users[0] + 1:]):
            return end
        following = body[users[0]]
        if not (_appended_lists(following) or _comprehension_list(following) is not None
                or _assigned(following)):
            return end
        end = users[0]


def _comprehension_list(stmt: cst.BaseStatement) -> str | None:
    """`mem = [bank[k] for k in sorted(bank)]`: the name a list comprehension is assigned to."""
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target, value = small.targets[0].target, small.value
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        target, value = small.target, small.value
    else:
        return None
    if isinstance(target, cst.Name) and isinstance(value, cst.ListComp):
        return target.value
    return None


def _only_for(stmt: cst.BaseStatement, region: list[cst.BaseStatement], later: set[str]) -> bool:
    """`stmt` is an assignment whose names the region reads and nothing after it does."""
    names = _assigned(stmt)
    if not names or not isinstance(stmt, cst.SimpleStatementLine) or names & later:
        return False
    return bool(names & free_names(region))


def _appended_lists(stmt: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class _Appends(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "append" and \
                    isinstance(func.value, cst.Name):
                found.append(func.value.value)

    stmt.visit(_Appends())
    return found


def _assigned(stmt: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class _Targets(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            target = node.target
            items = [e.value for e in target.elements] if isinstance(target, (cst.Tuple, cst.List)) \
                else [target]
            names.update(t.value for t in items if isinstance(t, cst.Name))

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            if isinstance(node.target, cst.Name) and node.value is not None:
                names.add(node.target.value)

    if isinstance(stmt, cst.SimpleStatementLine):
        stmt.visit(_Targets())
    return names


def _assigned_all(stmts: list[cst.BaseStatement]) -> set[str]:
    return {name for stmt in stmts for name in _stores(stmt)}


def _stores(stmt: cst.CSTNode) -> set[str]:
    found: set[str] = set()

    class _Stores(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
            found.update(_flat_names(node.target))

        def visit_For(self, node: cst.For) -> None:
            found.update(_flat_names(node.target))

    stmt.visit(_Stores())
    return found


def _flat_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for e in target.elements for n in _flat_names(e.value)}
    return set()


class _Present(dict):  # type: ignore[type-arg]
    """A dict in which every looked-up key is present: missing keys get a copy of `template`."""

    def __init__(self, data: Mapping[Any, Any], template: Mapping[str, Any], path: tuple[Any, ...],
                 log: dict[int, tuple[tuple[Any, ...], Any, Any]],
                 poisoned: tuple[Any, ...] | None = None, walks: list[tuple[Any, ...]] | None = None) -> None:
        super().__init__(data)
        self.template, self.path, self.log, self.poisoned = template, path, log, poisoned
        self.walks = walks if walks is not None else []

    def _walked(self) -> None:
        self.walks.append(self.path)

    def keys(self) -> Any:
        self._walked()
        return super().keys()

    def values(self) -> Any:
        self._walked()
        return super().values()

    def items(self) -> Any:
        self._walked()
        return super().items()

    def __iter__(self) -> Any:
        self._walked()
        return super().__iter__()

    def __len__(self) -> int:
        self._walked()
        return super().__len__()

    def _entry(self, key: Any) -> Any:
        # A new object per lookup (a tensor entry: a view), so each lookup is logged by its id.
        stored = super().__getitem__(key) if super().__contains__(key) else self.template
        bare = not isinstance(stored, Mapping)
        nan = self.poisoned == (*self.path, key)
        entry = make_entry({k: v.view_as(v) if bare and not nan else _nan_like(v) if nan else v
                            for k, v in entry_tensors(stored).items()}, bare)
        # The entry rides along so its id is not reused by another dict while the log lives.
        self.log[id(entry)] = (self.path, key, entry)
        return entry

    def get(self, key: Any, default: Any = None) -> Any:
        return self._entry(key)

    def __getitem__(self, key: Any) -> Any:
        return self._entry(key)

    def __contains__(self, key: object) -> bool:
        return True


def _nan_like(tensor: Any) -> Any:
    import torch

    return torch.full_like(tensor, float("nan"))


def full_memory(value: Any, template: Mapping[str, Any], log: dict[int, Any],
                path: tuple[Any, ...] = (), poisoned: tuple[Any, ...] | None = None,
                walks: list[tuple[Any, ...]] | None = None) -> Any:
    """A copy of the memory dict whose dicts of entries answer every lookup (see `_Present`);
    the entry at `poisoned` (a full key path) reads as NaN; `walks` collects the paths of the
    dicts of entries the gathering iterated over."""
    if is_entry(value):
        if poisoned == path:
            return make_entry({k: _nan_like(v) for k, v in entry_tensors(value).items()},
                              not isinstance(value, Mapping))
        return value  # the same object, so slots can be traced back to their place
    holds_entries = isinstance(value, Mapping) and not is_entry(value) and \
        all(is_entry(v) for v in value.values())
    if holds_entries and (path or value):
        data = {k: full_memory(v, template, log, (*path, k), poisoned, walks) for k, v in value.items()}
        return _Present(data, template, path, log, poisoned, walks)
    if isinstance(value, Mapping) and not is_entry(value):
        return {k: full_memory(v, template, log, (*path, k), poisoned, walks) for k, v in value.items()}
    return copy.copy(value)


def split_element(element: Any) -> tuple[tuple[Any, ...], Any, int | None]:
    """(key, entry, entry index) of one gathered element: `(t_pos, entry)` -> ((t_pos,), entry, 1)."""
    if is_entry(element):
        return (), element, None
    if isinstance(element, tuple):
        where = [i for i, item in enumerate(element) if is_entry(item)]
        if len(where) == 1:
            i = where[0]
            return element[:i] + element[i + 1:], element[i], i
    raise ValueError(f"a gathered memory element is a {type(element).__name__}, "
                     "not a memory entry (a tensor or a dict of tensors) or a tuple holding one")


def compute_layout(gather: Any, args: tuple[Any, ...], kwargs: dict[str, Any], position: int | str,
                   memory: Any) -> MemoryLayout:
    """Run `gather` on a memory in which every looked-up frame exists: the maximum layout.

    Args:
        gather: the gather region as a bound function taking forward's arguments.
        args: example positional arguments.
        kwargs: example keyword arguments.
        position: where the memory dict is passed (index in args, or keyword).
        memory: the example memory dict.

    Raises:
        ValueError: the memory holds no entry to copy shapes from, or elements have no entry.
    """
    found = entries_in(memory)
    if not found:
        raise ValueError("the example memory holds no frame to take tensor shapes from")
    template = found[0][1]
    log: dict[int, tuple[tuple[Any, ...], Any, Any]] = {}
    walks: list[tuple[Any, ...]] = []
    elements = _gathered(gather, args, kwargs, position, full_memory(memory, template, log, walks=walks))
    slots, index, entries = [], None, []
    paths = {id(entry): path for path, entry in entries_in(memory)}
    lookups: list[tuple[Any, ...]] = []
    for logged in log.values():
        if (*logged[0], logged[1]) not in lookups:
            lookups.append((*logged[0], logged[1]))
    for j, element in enumerate(elements):
        key, entry, index = split_element(element)
        hit = log.get(id(entry))
        source = hit[:2] if hit is not None and hit[2] is entry else None
        path = (*source[0], source[1]) if source else paths.get(id(entry))
        if path is None:  # computed from a frame: find which one by setting each to NaN
            path = _lineage(gather, args, kwargs, position, memory, template, j,
                            list(dict.fromkeys([*lookups, *(p for p, _ in found)])))
            source = (path[:-1], path[-1]) if path in lookups else None
        slots.append(Slot(key, source, path))
        entries.append(entry_tensors(entry))
    shapes = {k: tuple(v.shape) for k, v in entries[0].items()} if entries else {}
    if any({k: tuple(v.shape) for k, v in e.items()} != shapes for e in entries):
        raise ValueError("the gathered memory elements differ in shape; fixed slots need one shape")
    dtypes = {k: str(v.dtype) for k, v in entries[0].items()} if entries else {}
    frame = entry_tensors(template)
    return MemoryLayout(
        slots, index, shapes, dtypes, bare=bool(elements) and not isinstance(
            split_element(elements[0])[1], Mapping),
        frame_shapes={k: tuple(v.shape) for k, v in frame.items()},
        frame_dtypes={k: str(v.dtype) for k, v in frame.items()},
        frame_bare=not isinstance(template, Mapping), enumerated=bool(walks),
        walked=tuple(dict.fromkeys(walks)))


# Frames added to a walked dict to find the code's own cap on how many it gathers.
_GROWTH = (8, 16)


def grow_walked(gather: Any, args: tuple[Any, ...], kwargs: dict[str, Any], position: int | str,
                memory: Any, layout: MemoryLayout) -> tuple[Any, MemoryLayout] | None:
    """For a gathering that walks one dict of frames keyed by ints: add frames (newer keys,
    else older ones) and gather again. When 8 and 16 extra frames gather the same number of
    elements, more than the example, that number is the code's cap (`sorted(bank)[-self.n:]`):
    the memory with 16 extra frames and its layout. None when there is no such dict, or the count
    keeps growing (no cap in the code) or never grows."""
    if len(layout.walked) != 1:
        return None
    path = layout.walked[0]
    holder = at_path(memory, path)
    if not isinstance(holder, Mapping) or not holder or \
            not all(isinstance(k, int) and not isinstance(k, bool) for k in holder):
        return None
    for newer in (True, False):
        counts = []
        for extra in _GROWTH:
            grown = _with_frames(memory, path, layout, extra, newer)
            try:
                counts.append((compute_layout(gather, args, kwargs, position, grown), grown))
            except (ValueError, RuntimeError, TypeError, KeyError, IndexError):
                break
        if len(counts) == len(_GROWTH):
            sizes = [len(c[0].slots) for c in counts]
            if sizes[0] == sizes[1] > len(layout.slots):
                bounded, memory_used = counts[-1]
                bounded.bounded = True
                for slot in bounded.slots:  # a frame the walk reached (`.items()`, `.values()`)
                    if slot.source is None and slot.path and tuple(slot.path[:-1]) == path:
                        slot.source = (tuple(slot.path[:-1]), slot.path[-1])
                return memory_used, bounded
            if sizes[0] < sizes[1]:
                return None  # grows with the memory: no cap in the code
    return None


def at_path(memory: Any, path: tuple[Any, ...]) -> Any:
    """The value at a key path of nested dicts."""
    holder = memory
    for part in path:
        holder = holder[part]
    return holder


def _with_frames(memory: Any, path: tuple[Any, ...], layout: MemoryLayout, extra: int, newer: bool) -> Any:
    """A copy of `memory` whose dict at `path` holds `extra` more frames of random values, keyed
    after its newest key (`newer`) or before its oldest."""
    import torch

    result = _copy_dicts(memory)
    holder = at_path(result, path)
    generator = torch.Generator().manual_seed(extra)
    keys = sorted(holder)
    new = [keys[-1] + i for i in range(1, extra + 1)] if newer else [keys[0] - i for i in range(1, extra + 1)]
    for key in new:
        holder[key] = _random_frame(layout, generator)
    return result


def _random_frame(layout: MemoryLayout, generator: Any) -> Any:
    """A memory frame of the layout's frame shapes and dtypes, filled with random values."""
    import torch

    return make_entry({
        name: torch.randn(shape, generator=generator).to(getattr(torch, dtype[6:]))
        for (name, shape), dtype in zip(layout.frame_shapes.items(), layout.frame_dtypes.values())},
        layout.frame_bare)


def _gathered(gather: Any, args: tuple[Any, ...], kwargs: dict[str, Any], position: int | str,
              full: Any) -> list[Any]:
    if isinstance(position, int):
        args = (*args[:position], full, *args[position + 1:])
    else:
        kwargs = {**kwargs, position: full}
    return list(gather(*args, **kwargs))


def _lineage(gather: Any, args: tuple[Any, ...], kwargs: dict[str, Any], position: int | str,
             memory: Any, template: Any, j: int, candidates: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """The one frame (full key path) whose tensors element `j` of the gathering is computed from."""
    import torch

    owners = []
    for candidate in candidates:
        elements = _gathered(gather, args, kwargs, position,
                             full_memory(memory, template, {}, poisoned=candidate))
        entry = split_element(elements[j])[1] if j < len(elements) else None
        if entry is not None and any(bool(torch.isnan(t).any()) for t in entry_tensors(entry).values()):
            owners.append(candidate)
    if len(owners) != 1:
        raise ValueError("a gathered memory element is computed from " + (
            "no single frame of the memory" if owners else "no frame of the memory") +
            "; fixed slots need one frame per element")
    return owners[0]


def memory_with(memory: Any, layout: MemoryLayout, present: set[int], seed: int) -> Any:
    """A copy of `memory` holding exactly the lookup slots in `present` (others removed).

    Frames the example lacks are filled with random tensors of the entry's shapes.
    """
    import torch

    result = _copy_dicts(memory)
    generator = torch.Generator().manual_seed(seed)
    sources = {(tuple(s.source[0]), s.source[1]) for s in layout.slots if s.source is not None}
    for path in layout.walked if layout.bounded else ():  # the grown memory: only the slots' frames
        holder = at_path(result, path)
        for key in [k for k in holder if (tuple(path), k) not in sources]:
            holder.pop(key)
    for i, slot in enumerate(layout.slots):
        if slot.source is None:
            continue
        path, key = slot.source
        holder = at_path(result, path)
        if i not in present:
            holder.pop(key, None)
        elif key not in holder:
            holder[key] = _random_frame(layout, generator)
    return result


def _copy_dicts(value: Any) -> Any:
    if isinstance(value, Mapping) and not is_entry(value):
        return {k: _copy_dicts(v) for k, v in value.items()}
    return value
