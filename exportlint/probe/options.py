"""Probe options: what the CLI (or `scan --probe`) asks the child process to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from exportlint.model import ExporterChoice
from exportlint.verify.compare import DEFAULT_ATOL, DEFAULT_RTOL
from exportlint.verify.isolate import DEFAULT_TIMEOUT


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """Options for probing one target.

    `dynamic` declares dynamic axes by flattened input name: `{"x": {0: "batch"}}`;
    `depth` is how deep the per-submodule table goes (0: no table).
    """

    target: str
    exporter: ExporterChoice = "both"
    depth: int = 1
    fx: bool = False
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    timeout: float = DEFAULT_TIMEOUT
    seed: int = 0
    dynamic: Mapping[str, Mapping[int, str]] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["dynamic"] = {k: {str(a): s for a, s in v.items()} for k, v in self.dynamic.items()}
        return data

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> ProbeOptions:
        fields = dict(data)
        fields["dynamic"] = {k: {int(a): str(s) for a, s in v.items()}
                             for k, v in dict(fields.get("dynamic") or {}).items()}
        return ProbeOptions(**fields)
