"""What the user asked `exportlint fix` for, as plain data the parent sends to the child."""

from __future__ import annotations

from dataclasses import dataclass, field

from exportlint.target import TargetRef


@dataclass(frozen=True)
class FixRequest:
    """What the user asked for (plain data, sent to the child as JSON)."""

    target: str
    out: str = "exportlint_out"
    rules: tuple[str, ...] = ()
    exporter: str = "both"
    rtol: float = 1e-3
    atol: float = 1e-4
    dynamic: dict[str, dict[str, str]] = field(default_factory=dict)  # input -> {axis: symbol}, JSON keys
    name: str = ""
    max_iters: int = 16  # bound of a masked data-dependent `while` without a bound of its own
    diff: bool = False
    cwd: str = ""


def output_name(request: FixRequest, ref: TargetRef) -> str:
    """`encoder` for `encoder.py:make`, `encoder_make_dac` for another factory."""
    if request.name:
        return request.name
    stem = "".join(c if c.isalnum() else "_" for c in ref.stem)
    return stem if ref.factory == "make" else f"{stem}_{ref.factory}"


def wire_dynamic(dynamic: dict[str, dict[int, str]]) -> dict[str, dict[str, str]]:
    """`exportlint.axes.parse_dynamic`'s axes with string keys, as JSON carries them to the child."""
    return {name: {str(axis): symbol for axis, symbol in axes.items()} for name, axes in dynamic.items()}
