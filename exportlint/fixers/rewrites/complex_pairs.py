"""Complex tensors as real (re, im) pairs in a trailing dimension of size 2.

The codemod rewrites a function so that every complex value it holds is a real tensor whose
last dimension holds the real and imaginary parts: `torch.view_as_complex(x)` is `x`,
`torch.view_as_real(c)` is `c`, `torch.polar(r, a)` stacks `r*cos(a)` and `r*sin(a)`, and a
complex product is spelled out with `_complex_mul`. Shape operations on complex values move
past the pair dimension. `torch.fft` transforms become DFT matmuls on the pairs (`fft_pairs.py`).
Anything else on a complex value is listed in `unsupported` and the caller reports manual work
instead of guessing.
"""

from __future__ import annotations

import libcst as cst

from exportlint.fixers.memory.codegen import explode_args
from exportlint.fixers.rewrites.fft_pairs import FftCall, rewrite_fft

COMPLEX_MUL = '''
def _complex_mul(a: Tensor, b: Tensor) -> Tensor:
    """(a_re + i a_im)(b_re + i b_im) for complex numbers stored as (..., 2) real pairs."""
    re = a[..., 0] * b[..., 0] - a[..., 1] * b[..., 1]
    im = a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0]
    return torch.stack((re, im), dim=-1)
'''

_KEEP_METHODS = {"contiguous", "clone", "detach"}
_DEVICE_METHODS = {"to", "cpu", "cuda"}  # kept when they move the tensor and keep its dtype


def _device_only(call: cst.Call) -> bool:
    """`.to(x.device)`, `.to(device=d, non_blocking=True)`, `.cpu()`: a move, no dtype change
    (the pairs move as the complex tensor would). A dtype or another tensor may convert it."""
    for arg in call.args:
        if arg.keyword is not None:
            if arg.keyword.value not in ("device", "non_blocking", "copy"):
                return False
            continue
        value = arg.value
        if isinstance(value, cst.Attribute) and value.attr.value == "device":
            continue
        if isinstance(value, cst.Name) and "device" in value.value.lower():
            continue
        if isinstance(value, cst.SimpleString) and value.evaluated_value.split(":")[0] in ("cpu", "cuda", "mps"):
            continue
        if isinstance(value, cst.Call) and _code(value.func) == "torch.device":
            continue
        return False
    return True


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


class ComplexToPairs(cst.CSTTransformer):
    """Rewrite one function; `names` are its complex parameters, `attrs` complex `self.` attributes.

    Complex attribute loads become `self.<attr>_pairs` (the wrapper sets that real view).
    What code reads of a complex value's shape stays the complex shape: `.shape` drops the
    pair dimension, `.ndim` and `.dim()` count without it; `.real`/`.imag` pick a part.
    """

    def __init__(self, names: set[str], attrs: set[str], twins: dict[str, str],
                 returns: frozenset[str] = frozenset()) -> None:
        self.names = set(names)
        self.attrs = attrs
        self.twins = twins
        self.returns = returns  # twinned functions whose result is complex
        # Marked nodes by id, the node kept alive: a freed node's id may be reused by a new one.
        self.complex: dict[int, cst.CSTNode] = {}
        self.unsupported: list[str] = []
        self.unsupported_at: list[cst.CSTNode] = []  # the original node of each unsupported entry
        self.uses_mul = False
        self.fft_helpers: set[str] = set()  # the fft_pairs helpers the rewritten calls name
        self.fft_calls: list[cst.Call] = []  # the original FFT calls rewritten

    def _mark(self, node: cst.BaseExpression) -> cst.BaseExpression:
        self.complex[id(node)] = node
        return node

    def _is(self, node: cst.CSTNode) -> bool:
        return self.complex.get(id(node)) is node

    def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
        return False  # targets are names to track, not values to rewrite

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._mark(updated_node) if updated_node.value in self.names else updated_node

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute
                        ) -> cst.BaseExpression:
        if isinstance(updated_node.value, cst.Name) and updated_node.value.value == "self" and \
                updated_node.attr.value in self.attrs:
            return self._mark(updated_node.with_changes(attr=cst.Name(f"{updated_node.attr.value}_pairs")))
        if self._is(updated_node.value):
            receiver = _code(updated_node.value)
            attr = updated_node.attr.value
            if attr == "shape":
                return _expr(f"{receiver}.shape[:-1]", updated_node)
            if attr == "ndim":
                return _expr(f"({receiver}.ndim - 1)", updated_node)
            if attr in ("real", "imag"):
                return _expr(f"{receiver}[..., {0 if attr == 'real' else 1}]", updated_node)
        return updated_node

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript
                        ) -> cst.BaseExpression:
        """Indexing a complex value indexes its leading dimensions: the pair dimension trails
        them, so `t[None, :n]` stays as written and `t[..., k]` becomes `t[..., k, :]`."""
        if not self._is(updated_node.value):
            return updated_node
        ellipsis = any(isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Ellipsis)
                       for e in updated_node.slice)
        if not ellipsis:
            return self._mark(updated_node)
        elements = [*updated_node.slice]
        elements[-1] = elements[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        elements.append(cst.SubscriptElement(cst.Slice(None, None)))
        return self._mark(updated_node.with_changes(slice=elements))

    def leave_IfExp(self, original_node: cst.IfExp, updated_node: cst.IfExp) -> cst.BaseExpression:
        if self._is(updated_node.body) or self._is(updated_node.orelse):
            return self._mark(updated_node)
        return updated_node

    def leave_Assign(self, original_node: cst.Assign, updated_node: cst.Assign) -> cst.Assign:
        targets = []
        for target in updated_node.targets:
            if isinstance(target.target, cst.Name):
                if self._is(updated_node.value):
                    self.names.add(target.target.value)
                else:
                    self.names.discard(target.target.value)
            elif self._is(updated_node.value) and self._complex_attribute(target.target):
                # `self.freqs_cis = self.freqs_cis.to(x.device)`: the pairs go to the pairs view
                assert isinstance(target.target, cst.Attribute)
                attr = target.target.attr.value
                target = target.with_changes(target=target.target.with_changes(attr=cst.Name(f"{attr}_pairs")))
            elif self._is(updated_node.value):
                self._refuse(f"complex value unpacked into `{_code(target.target)}`", original_node)
            targets.append(target)
        return updated_node.with_changes(targets=targets)

    def _complex_attribute(self, target: cst.BaseExpression) -> bool:
        """`self.<attr>` for a complex attribute, read through its `<attr>_pairs` view."""
        return isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and \
            target.value.value == "self" and target.attr.value in self.attrs

    def leave_BinaryOperation(self, original_node: cst.BinaryOperation,
                              updated_node: cst.BinaryOperation) -> cst.BaseExpression:
        left, right = self._is(updated_node.left), self._is(updated_node.right)
        if not (left or right):
            return updated_node
        if isinstance(updated_node.operator, (cst.Add, cst.Subtract)) and left and right:
            return self._mark(updated_node)
        if isinstance(updated_node.operator, cst.Multiply) and left and right:
            self.uses_mul = True
            call = cst.parse_expression("_complex_mul(a, b)")
            assert isinstance(call, cst.Call)
            args = [cst.Arg(updated_node.left), cst.Arg(updated_node.right)]
            return self._mark(call.with_changes(args=args, lpar=updated_node.lpar,
                                                rpar=updated_node.rpar))
        if isinstance(updated_node.operator, cst.Multiply) and \
                isinstance(updated_node.right if left else updated_node.left, (cst.Integer, cst.Float)):
            return self._mark(updated_node)
        self._refuse(f"`{_code(original_node)}` mixes complex and other values", original_node)
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        func = _code(updated_node.func)
        args = updated_node.args
        if func == "torch.view_as_complex" and args:
            return self._mark(args[0].value)
        if func == "torch.view_as_real" and args:
            # A new node object: the pairs are the real result, no longer a complex value.
            return args[0].value.with_changes() if self._is(args[0].value) else updated_node
        if func == "torch.polar" and len(args) == 2:
            r, a = _code(args[0].value), _code(args[1].value)
            stack = cst.parse_expression(f"torch.stack(({r} * torch.cos({a}), {r} * torch.sin({a})), dim=-1)")
            assert isinstance(stack, cst.Call)
            return self._mark(explode_args(stack))
        if func in ("torch.cat", "torch.stack", "torch.concat") and args and self._any_complex(args[0].value):
            return self._mark(updated_node.with_changes(args=[_shift_dim(a, i) for i, a in enumerate(args)]))
        if func.startswith("torch.fft.") and args:
            return self._fft(original_node, updated_node, func.removeprefix("torch.fft."))
        if isinstance(updated_node.func, cst.Name) and updated_node.func.value in self.twins:
            called = updated_node.func.value
            twin = updated_node.with_changes(func=cst.Name(self.twins[called]))
            return self._mark(twin) if called in self.returns else twin
        if isinstance(updated_node.func, cst.Attribute) and self._is(updated_node.func.value):
            return self._method(updated_node, updated_node.func, original_node)
        return updated_node

    def _fft(self, original: cst.Call, call: cst.Call, name: str) -> cst.BaseExpression:
        rewritten = rewrite_fft(call, name, self._is(call.args[0].value))
        if not isinstance(rewritten, FftCall):
            self._refuse(rewritten, original)
            return call
        self.fft_helpers.add(rewritten.helper)
        self.fft_calls.append(original)
        return self._mark(rewritten.call) if rewritten.complex_out else rewritten.call

    def _any_complex(self, node: cst.BaseExpression) -> bool:
        if isinstance(node, (cst.List, cst.Tuple)):
            return any(self._is(e.value) for e in node.elements)
        return self._is(node)

    def _refuse(self, why: str, original: cst.CSTNode) -> None:
        self.unsupported.append(why)
        self.unsupported_at.append(original)

    def _method(self, call: cst.Call, func: cst.Attribute, original: cst.Call) -> cst.BaseExpression:
        name = func.attr.value
        receiver = _code(func.value)
        if name in _KEEP_METHODS or (name in _DEVICE_METHODS and _device_only(call)):
            return self._mark(call)
        if name in ("view", "reshape"):
            # The sizes are the complex shape (`.shape` of a complex value already drops the
            # pair dimension): the pairs keep their trailing 2.
            return self._mark(call.with_changes(args=[*call.args, cst.Arg(cst.Integer("2"))]))
        if name == "dim" and not call.args:
            return _expr(f"({receiver}.dim() - 1)", call)
        if name == "repeat":
            return self._mark(call.with_changes(args=[*call.args, cst.Arg(cst.Integer("1"))]))
        if name == "unsqueeze" and len(call.args) == 1:
            return self._mark(call.with_changes(args=[_shift_dim(call.args[0], 0, force=True)]))
        if name == "flatten" and len(call.args) == 1:
            return self._mark(call.with_changes(args=[*call.args, cst.Arg(cst.parse_expression("-2"))]))
        user = original.func.value if isinstance(original.func, cst.Attribute) else func.value
        self._refuse(f"`.{name}()` on complex `{_code(user)}`", original)
        return call


def _expr(text: str, like: cst.BaseExpression) -> cst.BaseExpression:
    """`text` as an expression in place of `like` (its parentheses kept); not a complex value."""
    parsed = cst.parse_expression(text)
    return parsed.with_changes(lpar=like.lpar, rpar=like.rpar) if like.lpar else parsed


def _shift_dim(arg: cst.Arg, index: int, force: bool = False) -> cst.Arg:
    """A negative dim counts from the end: step over the pair dimension."""
    is_dim = force or (arg.keyword is not None and arg.keyword.value == "dim") or \
        (arg.keyword is None and index == 1)
    value = arg.value
    if is_dim and isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) \
            and isinstance(value.expression, cst.Integer):
        shifted = int(value.expression.value) + 1
        return arg.with_changes(value=cst.parse_expression(f"-{shifted}"))
    return arg
