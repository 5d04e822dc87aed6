"""The abstract values of the dataflow: what an expression depends on, and what it is."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Dep(IntEnum):
    """What a Python-level decision depends on, from harmless to data-dependent."""

    CONST = 0  # literals, module constants
    CONFIG = 1  # module configuration fixed at construction (self.pre_norm), `x is None` tests
    FLAG = 2  # a non-tensor forward argument (dac=False)
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
    """An abstract value: its form, and what deciding on it depends on."""

    form: Form
    dep: Dep

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
MODULE = Val(Form.MODULE, Dep.CONFIG)


def join(*vals: Val) -> Val:
    """Combine operands: a tensor anywhere makes a tensor; otherwise the strongest dependency wins."""
    if not vals:
        return CONST
    dep = max(v.dep for v in vals)
    forms = {v.form for v in vals}
    if Form.TENSOR in forms:
        return Val(Form.TENSOR, Dep.DATA)
    for form in (Form.TLIST, Form.DICT):
        if form in forms:
            return Val(form, dep)
    return Val(Form.VALUE, dep)


def scalar(dep: Dep) -> Val:
    """A Python value depending on `dep`."""
    return Val(Form.VALUE, dep)
