"""The abstract values of the dataflow: what an expression depends on, and what it is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Dep(IntEnum):
    """What a Python-level decision depends on, from harmless to data-dependent."""

    CONST = 0  # literals, module constants
    CONFIG = 1  # module configuration fixed at construction (self.pre_norm), `x is None` tests
    ARGUMENT = 2  # a non-tensor forward argument (dac=False)
    SHAPE = 3  # a tensor's shape (x.shape[0], x.size(1), len(x))
    LAYOUT = 4  # a runtime container's layout: dict keys present, list length
    DATA = 5  # the values inside a tensor (x.sum() > 0, .item())


class Form(Enum):
    """What kind of Python object an expression evaluates to."""

    VALUE = "value"  # a Python scalar, string, tuple of such, None
    TENSOR = "tensor"
    TLIST = "tlist"  # a list/tuple of tensors
    DICT = "dict"  # a runtime dict (typically of tensors)
    MODULE = "module"  # an nn.Module
    METHOD = "method"  # a bound method of self


@dataclass(frozen=True, slots=True)
class Val:
    """An abstract value: its form, and what deciding on it depends on.

    `legacy_miss` marks values fetched from a runtime container with a key computed from a
    Python number passed to forward: the legacy tracer turns such numbers into tensors, so the
    lookup misses (or finds something else) in the traced graph, even on the example inputs.

    `ragged` marks tensors whose size tensor values decide (`x[mask]`, `nonzero`,
    `masked_select`, `unique`): their size is data, not shape. `boolean` marks boolean tensors
    (comparisons, `~m`, `a & b`), so that indexing with one makes a ragged tensor.
    """

    form: Form
    dep: Dep
    legacy_miss: bool = False
    ragged: bool = False
    boolean: bool = False

    def unmarked(self) -> Val:
        """The same value without the `ragged` / `boolean` marks."""
        return Val(self.form, self.dep, self.legacy_miss)

    @property
    def decision(self) -> Dep:
        """What `if <this>:` depends on."""
        if self.form is Form.TENSOR:
            return Dep.DATA
        if self.form in (Form.TLIST, Form.DICT):
            return max(self.dep, Dep.LAYOUT)
        if self.form in (Form.MODULE, Form.METHOD):
            return Dep.CONFIG
        return self.dep


CONST = Val(Form.VALUE, Dep.CONST)
CONFIG = Val(Form.VALUE, Dep.CONFIG)
TENSOR = Val(Form.TENSOR, Dep.DATA)
RAGGED = Val(Form.TENSOR, Dep.DATA, ragged=True)
BOOLEAN = Val(Form.TENSOR, Dep.DATA, boolean=True)
MODULE = Val(Form.MODULE, Dep.CONFIG)


def join(*vals: Val) -> Val:
    """Combine operands: a tensor anywhere makes a tensor; otherwise the strongest dependency wins."""
    if not vals:
        return CONST
    dep = max(v.dep for v in vals)
    miss = any(v.legacy_miss for v in vals)
    forms = {v.form for v in vals}
    if Form.TENSOR in forms:
        return Val(Form.TENSOR, Dep.DATA, miss, ragged=any(v.ragged for v in vals))
    for form in (Form.TLIST, Form.DICT):
        if form in forms:
            return Val(form, dep, miss)
    return Val(Form.VALUE, dep, miss)


def scalar(dep: Dep, legacy_miss: bool = False) -> Val:
    """A Python value depending on `dep`."""
    return Val(Form.VALUE, dep, legacy_miss)


def lookup(container: Val, key: Val) -> Val:
    """A value fetched from a runtime dict: its layout decides, and a forward-number key misses under legacy."""
    # NOTE: the legacy tracer turns forward numbers and shapes into tensors; container lengths
    # (`len(list)`) stay Python ints.
    miss = container.legacy_miss or key.legacy_miss or (key.form is Form.VALUE and key.dep in (Dep.ARGUMENT, Dep.SHAPE))
    dep = max(container.dep, key.dep, Dep.LAYOUT if key.dep > Dep.CONST else container.dep)
    return Val(Form.DICT, dep, miss)
