"""[tool.exportlint] -> Config. The effective settings of one run."""

from __future__ import annotations

from dataclasses import dataclass, field

from exportlint.model import ExporterChoice, Severity


@dataclass(frozen=True)
class Config:
    """Settings for a scan; CLI flags override values read from pyproject.toml."""

    exporter: ExporterChoice = "both"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    jobs: int = 0  # 0: all cores
    cache: bool = True
    cache_dir: str = ".exportlint_cache"
