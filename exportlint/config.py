"""[tool.exportlint] -> Config. The effective settings of one run, and where each value came from.

The configuration is the nearest `exportlint.toml` (top-level keys) or `pyproject.toml` with a
`[tool.exportlint]` table, walking up from the first scanned path. Command-line flags override it.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportlint.errors import ConfigError
from exportlint.model import ExporterChoice, Severity
from exportlint.pathfilter import matches_any

SEVERITIES = ("error", "warning", "info")
EXPORTER_CHOICES = ("dynamo", "legacy", "both")
DEFAULT_SOURCE = "default"


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
    timeout: float = 300.0  # seconds for one probe / fix child process
    respect_gitignore: bool = True
    report_unused_ignores: bool = False
    entry_points: tuple[str, ...] = ()  # `Class.method` names the scan starts from and narrows to
    root: str = ""  # directory the config's globs are relative to ("": the current directory)

    def is_excluded(self, path: Path) -> bool:
        """Whether `exclude` / `extend-exclude` rule the file out."""
        return matches_any(path, (*self.exclude, *self.extend_exclude), self.root)

    def ignored_rules(self, path: Path) -> tuple[str, ...]:
        """The rule keys `per-file-ignores` turns off for this file."""
        return tuple(k for glob, keys in self.per_file_ignores.items() if matches_any(path, (glob,), self.root)
                     for k in keys)


@dataclass(frozen=True)
class ResolvedConfig:
    """The effective configuration, the file it was read from, and the source of every field."""

    config: Config
    file: Path | None
    sources: dict[str, str]


# -- values -------------------------------------------------------------------------------------

Check = Callable[[str, Any], Any]


def _strings(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _rules(where: str, value: Any, prefixes: bool = True) -> tuple[str, ...]:
    keys = _strings(where, value)
    known = _known_rule_keys()
    out = []
    for key in keys:
        norm = key.upper() if key.upper().startswith("EXL") else key
        if norm not in known and not (prefixes and norm.startswith("EXL") and any(k.startswith(norm) for k in known)):
            raise ConfigError(f"{where}: unknown rule `{key}` (`exportlint rules` lists them)")
        out.append(norm)
    return tuple(out)


def _exact_rules(where: str, value: Any) -> tuple[str, ...]:
    return _rules(where, value, prefixes=False)


def _per_file_ignores(where: str, value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [rules], got {value!r}")
    return {str(glob): _rules(f"{where}.{glob!r}", keys) for glob, keys in value.items()}


def _severity(where: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of rule = \"error\" | \"warning\" | \"info\", got {value!r}")
    out: dict[str, str] = {}
    for key, level in value.items():
        if level not in SEVERITIES:
            raise ConfigError(f"{where}.{key}: expected one of {', '.join(SEVERITIES)}, got {level!r}")
        out[_exact_rules(where, [key])[0]] = level
    return out


def _exporter(where: str, value: Any) -> str:
    if value not in EXPORTER_CHOICES:
        raise ConfigError(f"{where}: expected one of {', '.join(EXPORTER_CHOICES)}, got {value!r}")
    return str(value)


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _jobs(where: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: expected a whole number >= 0 (0: all cores), got {value!r}")
    return value


def _seconds(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"{where}: expected a number of seconds > 0, got {value!r}")
    return float(value)


_ENTRY_POINT = re.compile(r"^(?:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*[:.])?[A-Za-z_]\w*\.[A-Za-z_]\w*$")


def _entry_points(where: str, value: Any) -> tuple[str, ...]:
    names = _strings(where, value)
    for name in names:
        if not _ENTRY_POINT.match(name):
            raise ConfigError(f"{where}: expected `Class.method` (or `pkg.module:Class.method`), got {name!r}")
    return names


def _string(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


# TOML key -> (Config field, check). Every key a user may write, and nothing else.
KEYS: dict[str, tuple[str, Check]] = {
    "select": ("select", _rules),
    "ignore": ("ignore", _exact_rules),
    "extend-select": ("extend_select", _exact_rules),
    "per-file-ignores": ("per_file_ignores", _per_file_ignores),
    "exclude": ("exclude", _strings),
    "extend-exclude": ("extend_exclude", _strings),
    "severity": ("severity", _severity),
    "exporter": ("exporter", _exporter),
    "targets": ("targets", _strings),
    "timeout": ("timeout", _seconds),
    "jobs": ("jobs", _jobs),
    "cache": ("cache", _bool),
    "cache-dir": ("cache_dir", _string),
    "respect-gitignore": ("respect_gitignore", _bool),
    "report-unused-ignores": ("report_unused_ignores", _bool),
    "entry-points": ("entry_points", _entry_points),
}
_FIELD_KEYS = {f: k for k, (f, _) in KEYS.items()}


def _known_rule_keys() -> frozenset[str]:
    # NOTE: imported here, not at module level: config sits below rules in the layering, and
    # only validation needs the registry.
    from exportlint.rules import ALL_RULES

    return frozenset(k for r in ALL_RULES for k in (r.code, r.name))


def check_value(key: str, value: Any, where: str) -> Any:
    """Validate one setting given under its TOML key; returns the Config field's value."""
    if key not in KEYS:
        close = difflib.get_close_matches(key, KEYS, n=1)
        guess = f" (did you mean `{close[0]}`?)" if close else ""
        raise ConfigError(f"{where}: unknown key `{key}`{guess}; known keys: {', '.join(KEYS)}")
    return KEYS[key][1](f"{where}: `{key}`", value)


# -- files --------------------------------------------------------------------------------------

def find_config_file(start: Path) -> Path | None:
    """The nearest exportlint.toml, or pyproject.toml with [tool.exportlint], at or above `start`."""
    here = Path(os.path.abspath(start))
    if not _is(here, Path.is_dir):
        here = here.parent
    for folder in (here, *here.parents):
        own = folder / "exportlint.toml"
        if _is(own, Path.is_file):
            return own
        pyproject = folder / "pyproject.toml"
        if _is(pyproject, Path.is_file) and _table(pyproject) is not None:
            return pyproject
    return None


def _is(path: Path, test: Callable[[Path], bool]) -> bool:
    """`test(path)`, False where the folder cannot be looked into (no permission)."""
    try:
        return test(path)
    except OSError:
        return False


def _table(path: Path) -> dict[str, Any] | None:
    """The exportlint table of a config file; None for a pyproject.toml without one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read the configuration ({e})") from e
    if path.name != "exportlint.toml" and "exportlint" not in text:
        return None
    data = _toml_loads(text, path)
    if path.name == "exportlint.toml":
        return data
    table = data.get("tool", {}).get("exportlint")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.exportlint] must be a table")
    return table


def _toml_loads(text: str, path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the tomli backport, when installed
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as e:
            raise ConfigError(f"{path}: reading TOML on Python 3.10 needs tomli: pip install tomli") from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    except RecursionError as e:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply to read") from e


def read_config_file(path: Path) -> dict[str, Any]:
    """The checked settings of one config file, by Config field name.

    Raises:
        ConfigError: the file is unreadable, not TOML, or has an unknown key or a bad value.
    """
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    table = _table(path)
    where = f"{path} [tool.exportlint]" if path.name != "exportlint.toml" else str(path)
    if table is None and path.name == "pyproject.toml":
        raise ConfigError(f"{path}: no [tool.exportlint] table")
    if table is None:  # another file named with --config: the keys at top level, as in exportlint.toml
        table, where = _toml_loads(path.read_text(encoding="utf-8"), path), str(path)
        if "tool" in table:
            raise ConfigError(f"{path}: no [tool.exportlint] table, and `tool` is not an exportlint key")
    return {KEYS[k][0] if k in KEYS else k: check_value(k, v, where) for k, v in table.items()}


def config_arguments(values: Sequence[str]) -> tuple[Path | None, dict[str, tuple[object, str]]]:
    """`--config` values: at most one file, and settings written as TOML (`KEY = VALUE`).

    Returns:
        the config file, and Config field -> (value, "--config KEY") for each setting.

    Raises:
        ConfigError: two files, a setting that is not TOML, an unknown key or a bad value.
    """
    files = [v for v in values if "=" not in v or Path(v).is_file()]
    if len(files) > 1:
        raise ConfigError(f"--config: one configuration file at most, got {', '.join(files)}")
    settings: dict[str, tuple[object, str]] = {}
    for text in (v for v in values if v not in files):
        try:
            table = _toml_loads(text, Path("--config"))
        except ConfigError as e:
            raise ConfigError(f"--config {text!r}: not a file, nor a TOML `KEY = VALUE` setting") from e
        for key, value in table.items():
            settings[KEYS[key][0] if key in KEYS else key] = (check_value(key, value, f"--config {key}"), f"--config {key}")
    return (Path(files[0]) if files else None), settings


def resolve_config(
    start: Path | None = None,
    config_file: Path | None = None,
    flags: Mapping[str, tuple[object, str]] | None = None,
) -> ResolvedConfig:
    """Defaults, overridden by the config file, overridden by command-line flags.

    Args:
        start: where to look for the config file (default: the current directory).
        config_file: an explicit file (`--config`); no search when given.
        flags: Config field -> (value, flag name) for the flags the user gave.
    """
    path = config_file or find_config_file(start or Path.cwd())
    values: dict[str, Any] = {}
    sources = {f.name: DEFAULT_SOURCE for f in dataclasses.fields(Config)}
    if path is not None:
        for name, value in read_config_file(path).items():
            values[name], sources[name] = value, str(path)
        values["root"], sources["root"] = str(Path(os.path.abspath(path)).parent), str(path)
    for name, (value, flag) in (flags or {}).items():
        values[name], sources[name] = value, flag
    return ResolvedConfig(Config(**values), path, sources)


def render_config(resolved: ResolvedConfig) -> str:
    """The effective configuration as TOML, each line commented with where its value came from."""
    config, sources = resolved.config, resolved.sources
    lines = [f"# config file: {resolved.file or '(none found: defaults)'}",
             f"# globs are relative to: {config.root or os.getcwd()}", "[tool.exportlint]"]
    rows = [(f"{key} = {_toml_value(getattr(config, name))}", sources[name]) for name, key in _FIELD_KEYS.items()]
    width = max(len(text) for text, _ in rows)
    lines += [f"{text:<{width}}  # {source}" for text, source in rows]
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)
