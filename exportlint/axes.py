"""`--dynamic` values, the same for `probe` and `fix`: which graph-input axes may change size.

`INPUT:AXIS[:NAME]` (repeatable): `x:0:batch` makes axis 0 of `x` dynamic under the symbol
`batch`; inputs given the same name share one dimension. Without a name the symbol is
`INPUT_dimAXIS`. The earlier fix spelling `INPUT=AXIS[,AXIS]` is still read.
"""

from __future__ import annotations

from collections.abc import Sequence

from exportlint.errors import ConfigError

SYNTAX = "INPUT:AXIS[:NAME]"


def parse_dynamic(values: Sequence[str]) -> dict[str, dict[int, str]]:
    """`["x:0:batch", "y:1"]` -> `{"x": {0: "batch"}, "y": {1: "y_dim1"}}`.

    Raises:
        ConfigError: a value in neither spelling.
    """
    dynamic: dict[str, dict[int, str]] = {}
    for value in values:
        for name, axis, symbol in _entries(value):
            dynamic.setdefault(name, {})[axis] = symbol or f"{name}_dim{axis}"
    return dynamic


def _entries(value: str) -> list[tuple[str, int, str]]:
    name, sep, rest = value.partition("=")
    if sep and ":" not in name:  # INPUT=AXIS[,AXIS]
        axes = [a.strip() for a in rest.split(",") if a.strip()]
        if name and axes and all(a.isdigit() for a in axes):
            return [(name, int(a), "") for a in axes]
    else:
        name, _, rest = value.partition(":")
        axis, _, symbol = rest.partition(":")
        if name and axis.isdigit() and (not symbol or symbol.isidentifier()):
            return [(name, int(axis), symbol)]
    raise ConfigError(f"--dynamic {value!r}: expected {SYNTAX}, e.g. x:0:batch")
