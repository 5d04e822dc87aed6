"""The one eager pass: run the model, record the user lines it executes and, with forward
hooks, each submodule's real inputs."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from exportlint.verify.frames import failure_from_exception, is_user_path
from exportlint.verify.results import Failure


@dataclass(frozen=True, slots=True)
class Recorded:
    """A submodule's first call: its inputs as received, and how often it was called."""

    name: str
    module: Any
    depth: int
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    calls: int = 0


@dataclass(frozen=True, slots=True)
class EagerRun:
    """The outcome of the eager pass."""

    output: Any = None
    failure: Failure | None = None
    executed: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    children: tuple[Recorded, ...] = ()
    seconds: float = 0.0


def run_eager(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], depth: int = 0
              ) -> EagerRun:
    """Run `module(*args, **kwargs)` once under `no_grad`, tracing user lines and children.

    Args:
        module: the model.
        args: example positional inputs.
        kwargs: example keyword inputs.
        depth: record the inputs of submodules down to this depth (0: none).
    """
    first = _run(module, args, kwargs, depth)
    if first.failure is None or depth == 0:
        return first
    # The recording hooks are Python side effects that code compiled inside the forward
    # (torch.cond's branches, run by torch.compile even in eager mode) refuses: run without.
    plain = _run(module, args, kwargs, 0)
    return plain if plain.failure is None else first


def _run(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any], depth: int) -> EagerRun:
    import torch

    start = time.perf_counter()
    lines: dict[str, set[int]] = defaultdict(set)
    calls: dict[str, list[Any]] = {}
    handles = _hook_children(module, depth, calls)
    try:
        with torch.no_grad(), _trace_lines(lines):
            output = module(*args, **dict(kwargs))
    except Exception as error:  # noqa: BLE001 - the user's model failing is data
        return EagerRun(failure=failure_from_exception(error), executed=_freeze(lines),
                        seconds=time.perf_counter() - start)
    finally:
        for handle in handles:
            handle.remove()
    children = tuple(_recorded(module, name, seen) for name, seen in calls.items() if seen)
    return EagerRun(output, None, _freeze(lines), children, time.perf_counter() - start)


def _freeze(lines: Mapping[str, set[int]]) -> dict[str, tuple[int, ...]]:
    return {path: tuple(sorted(found)) for path, found in lines.items()}


def _hook_children(module: Any, depth: int, calls: dict[str, list[Any]]) -> list[Any]:
    handles = []
    for name, child in module.named_modules():
        level = name.count(".") + 1
        if not name or level > depth:
            continue
        calls[name] = []

        def hook(_m: Any, args: tuple[Any, ...], kwargs: dict[str, Any], _out: Any,
                 seen: list[Any] = calls[name]) -> None:
            if not seen:
                seen.append((_detach(args), _detach(kwargs)))
            seen.append(None)

        handles.append(child.register_forward_hook(hook, with_kwargs=True))
    return handles


def _recorded(root: Any, name: str, seen: list[Any]) -> Recorded:
    args, kwargs = seen[0]
    child = root.get_submodule(name)
    return Recorded(name, child, name.count(".") + 1, tuple(args), dict(kwargs), len(seen) - 1)


def _detach(value: Any) -> Any:
    """A copy of nested inputs whose tensors no later in-place op can change."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_detach(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_detach(v) for v in value)
    if isinstance(value, dict):
        return {k: _detach(v) for k, v in value.items()}
    return value


@contextmanager
def _trace_lines(lines: dict[str, set[int]]) -> Iterator[None]:
    """Record every executed line of user files (signature lines count when a call starts)."""
    started: set[CodeType] = set()  # a code object's signature lines are the same on every call

    def local(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line":
            found = lines[frame.f_code.co_filename]
            if frame.f_code not in started:
                started.add(frame.f_code)
                found.update(range(frame.f_code.co_firstlineno, frame.f_lineno))
            found.add(frame.f_lineno)
        return local

    with _tracing_user_code(local):
        yield


@contextmanager
def _tracing_user_code(local: Callable[[FrameType, str, Any], Any]) -> Iterator[None]:
    """Trace the frames of user files with `local` (sys.settrace), restoring the tracer after."""

    def on_call(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "call" and is_user_path(frame.f_code.co_filename):
            return local
        return None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        yield
    finally:
        sys.settrace(previous)


Line = tuple[str, int]


@dataclass(frozen=True, slots=True)
class EagerPath:
    """Where each executed user line led next in one eager run, in order (0: its frame returned),
    and the lines in the order they first ran. Two runs that agree at a line took the same
    branch there on every pass; the first line where they disagree is where control flow forks."""

    next_lines: Mapping[Line, tuple[int, ...]] = field(default_factory=dict)
    order: tuple[Line, ...] = ()

    def fork(self, other: EagerPath) -> Line | None:
        """The first line (in this run's order) after which `other` went another way."""
        return next((at for at in self.order if self.next_lines.get(at) != other.next_lines.get(at)), None)

    def agrees(self, other: EagerPath, at: Line) -> bool:
        """Both runs passed `at` the same number of times and went on the same way each time."""
        mine = self.next_lines.get(at)
        return mine is not None and mine == other.next_lines.get(at)


_MAX_EVENTS = 500_000  # a path longer than this is not recorded (a forward looping on and on)


def eager_path(module: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> EagerPath | None:
    """Run `module` once on copies of the inputs, recording the path through user lines; None
    when eager raises or the path is too long to keep."""
    import torch

    steps: dict[Line, list[int]] = {}  # in the order the lines first ran
    last: dict[FrameType, int] = {}
    events = 0

    def local(frame: FrameType, event: str, _arg: Any) -> Any:
        nonlocal events
        events += 1
        if events > _MAX_EVENTS:
            return None
        path = frame.f_code.co_filename
        if event in ("line", "return"):
            before = last.get(frame)
            if before is not None:
                steps[(path, before)].append(frame.f_lineno if event == "line" else 0)
            if event == "line":
                last[frame] = frame.f_lineno
                steps.setdefault((path, frame.f_lineno), [])
            else:
                last.pop(frame, None)
        return local

    try:
        with torch.no_grad(), _tracing_user_code(local):
            module(*_detach(args), **_detach(dict(kwargs)))
    except Exception:  # noqa: BLE001 - a perturbed input the model rejects leaves no path
        return None
    if events > _MAX_EVENTS:
        return None
    return EagerPath({k: tuple(v) for k, v in steps.items()}, tuple(steps))
