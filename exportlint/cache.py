"""The result cache: a file whose bytes did not change is not analysed again.

Layout: `<cache dir>/<namespace>/<aa>/<key>`, one entry per scanned file version.
- namespace: exportlint's version and source, libcst's version, the Python version and every
  setting that can change a finding. Another version or another config reads other entries.
- key: the file's bytes, the path shown in reports and its dotted module name.
- an entry: the file's class index and identifiers (the pre-pass never reads the text again) and
  up to `_MAX_VARIANTS` results, one per (known module classes the file mentions, reached roots).

Every entry is one header line with a checksum of its body, then JSON (never pickle: the cache
sits in the scanned tree and must not be able to run code). An entry that is truncated, fails its
checksum or does not decode is a miss. Entries are written to a temporary file and renamed into
place, so concurrent scans see the old entry or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from exportlint import __version__
from exportlint.atomic import write_atomic
from exportlint.config import Config
from exportlint.model import FileResult, Finding, Fix, Location, Outcomes
from exportlint.prepass import ClassIndex

FORMAT = 1
_MAGIC = f"exportlint-cache {FORMAT} ".encode()
_MAX_VARIANTS = 8
_KEEP_NAMESPACES = 4
_KEEP_PLANS = 32
_STALE_SECONDS = 24 * 3600
# Settings that cannot change what a scan finds; every other field, present or future, is keyed.
_NOT_KEYED = {"jobs", "cache", "cache_dir", "timeout", "targets"}
_TYPES: dict[str, type[Any]] = {c.__name__: c for c in (FileResult, Finding, Location, Outcomes, Fix)}
# What decoding an entry of an unexpected shape can raise: such an entry is a miss, never a crash.
_DAMAGED = (ValueError, KeyError, TypeError, AttributeError, RecursionError)


@dataclasses.dataclass
class Entry:
    """What the cache knows about one version of one file."""

    classes: ClassIndex
    names: tuple[str, ...]
    variants: list[dict[str, Any]]

    def result(self, known: Sequence[str], roots: Sequence[str]) -> FileResult | None:
        """The cached result for these inputs, or None."""
        for v in self.variants:
            if v.get("known") == list(known) and v.get("roots") == list(roots):
                try:
                    result = decode(v["result"])
                except _DAMAGED:
                    return None
                return result if well_formed(result) else None
        return None


class ResultCache:
    """Entries of one namespace under one cache directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writable = True

    @classmethod
    def open(cls, base: Path, config: Config) -> ResultCache:
        """The cache for this configuration under `base` (the `.exportlint_cache` directory)."""
        cache = cls(base / namespace(config))
        _mark_used(base, cache.directory)
        return cache

    @staticmethod
    def key(display: str, module: str, digest: str) -> str:
        """The entry key of one file version."""
        return _hash(f"{display}\0{module}\0{digest}".encode())

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / key[2:]

    def load(self, key: str) -> Entry | None:
        """The entry, or None when it is missing, damaged or not this key's."""
        doc = self._read(self.path(key), key)
        if doc is None:
            return None
        try:
            classes = tuple((str(n), tuple(str(b) for b in bs)) for n, bs in doc["classes"])
            variants = list(doc["variants"])
            if not all(isinstance(v, dict) for v in variants):
                return None
            return Entry(classes, tuple(doc["names"].split()), variants)
        except _DAMAGED:
            return None

    def load_plan(self, key: str) -> dict[int, list[str]] | None:
        """The functions each file had analysed as reached from elsewhere, for one state of the tree."""
        doc = self._read(self.directory / "plans" / key, key)
        try:
            return {int(i): [str(r) for r in roots] for i, roots in doc["roots"].items()} if doc else None
        except _DAMAGED:
            return None

    def load_links(self, key: str) -> dict[int, tuple[tuple[str, str], ...]] | None:
        """Each file's resolved entry-point links, for one state of the tree (see `injected`)."""
        doc = self._read(self.directory / "links" / key, key)
        try:
            if not doc:
                return None
            out = {}
            for i, pairs in doc["links"].items():
                if not all(isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs):
                    return None
                out[int(i)] = tuple((a, b) for a, b in pairs)
            return out
        except _DAMAGED:
            return None

    def store_links(self, key: str, links: dict[int, tuple[tuple[str, str], ...]]) -> None:
        """Record the resolved links of every file for this state of the tree."""
        folder = self.directory / "links"
        self._write(folder / key, {"key": key, "links": {str(i): [list(p) for p in v] for i, v in links.items()}})
        _keep_newest(folder)

    def store_plan(self, key: str, roots: dict[int, list[str]]) -> None:
        """Record the reached functions of every file for this state of the tree."""
        plans = self.directory / "plans"
        self._write(plans / key, {"key": key, "roots": {str(i): r for i, r in roots.items()}})
        _keep_newest(plans)

    def store(self, key: str, entry: Entry, known: Sequence[str], roots: Sequence[str], result: FileResult) -> None:
        """Add one result to the entry on disk (merging with what a concurrent scan wrote)."""
        if not cacheable(result):
            return
        variant = {"known": list(known), "roots": list(roots), "result": encode(result)}
        current = self.load(key)
        others = [v for v in (current.variants if current else []) if (v.get("known"), v.get("roots")) != (variant["known"], variant["roots"])]
        entry.variants = [variant, *others][:_MAX_VARIANTS]
        self._write(self.path(key), {"key": key, "classes": entry.classes, "names": " ".join(entry.names),
                                     "variants": entry.variants})

    def _read(self, path: Path, key: str) -> dict[str, Any] | None:
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        return parse_document(raw, key)

    def _write(self, path: Path, doc: dict[str, Any]) -> None:
        if not self.writable:
            return
        body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            write_atomic(path, _MAGIC + _hash(body).encode() + b"\n" + body, mode=0o600)
        except OSError:
            self.writable = False  # a read-only tree still scans; it just is not cached


def parse_document(raw: bytes, key: str) -> dict[str, Any] | None:
    """Decode a cache file; None for anything truncated, corrupted or written for another key."""
    header, sep, body = raw.partition(b"\n")
    if not sep or not header.startswith(_MAGIC) or header[len(_MAGIC):].decode("ascii", "replace") != _hash(body):
        return None
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) and doc.get("key") == key else None


def cacheable(result: FileResult) -> bool:
    """Whether a result may be reused: it survives the JSON round trip and did not run out of memory.

    An internal error is a bug in exportlint, found again on the same bytes by the same code, so
    it is kept (a fix changes exportlint's source and so the namespace); running out of memory
    depends on the moment and is not.
    """
    if any(f.code == "EXL000" and "MemoryError" in f.message for f in result.findings):
        return False
    try:
        return bool(decode(json.loads(json.dumps(encode(result)))) == result)
    except (TypeError, ValueError, KeyError):
        return False


def _keep_newest(folder: Path) -> None:
    """Delete all but the `_KEEP_PLANS` newest files of a folder of per-tree-state records."""
    with contextlib.suppress(OSError):
        old = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
        for path in old[:-_KEEP_PLANS]:
            path.unlink()


def well_formed(result: Any) -> bool:
    """Whether a decoded result has the model's shape down to the values the reports read."""
    if not isinstance(result, FileResult) or not isinstance(result.path, str):
        return False
    if result.error is not None and not isinstance(result.error, str):
        return False
    if not all(_strings(getattr(result, name)) for name in ("reached", "entries")):
        return False
    if not all(isinstance(pairs, tuple) and all(isinstance(p, tuple) and len(p) == 2 and _strings(p) for p in pairs)
               for pairs in (result.calls, result.edges, result.links)):
        return False
    return isinstance(result.findings, tuple) and all(_well_formed_finding(f) for f in result.findings)


def _strings(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(v, str) for v in value)


def _well_formed_finding(f: Any) -> bool:
    if not isinstance(f, Finding) or not isinstance(f.location, Location):
        return False
    texts = (f.code, f.rule, f.message, f.severity, f.location.path)
    numbers = (f.location.line, f.location.column, f.location.end_line, f.location.end_column)
    return (all(isinstance(t, str) for t in texts) and all(type(n) is int for n in numbers)
            and f.severity in ("error", "warning", "info")
            and all(x is None or isinstance(x, str) for x in (f.symbol, f.hint, f.verdict, f.evidence))
            and _strings(f.entry_points))


def encode(value: Any) -> Any:
    """Model dataclasses and tuples as JSON values (`$` names the class)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if type(value).__name__ not in _TYPES:
            raise TypeError(f"cannot cache a {type(value).__name__}")
        return {"$": type(value).__name__, **{f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(value: Any) -> Any:
    """The inverse of `encode`: lists come back as tuples, as the model holds them."""
    if isinstance(value, list):
        return tuple(decode(v) for v in value)
    if isinstance(value, dict):
        cls = _TYPES[value["$"]]  # KeyError / TypeError for anything else: the caller's miss
        return cls(**{k: decode(v) for k, v in value.items() if k != "$"})
    return value


def namespace(config: Config) -> str:
    """The directory name shared by scans whose findings can only be the same."""
    settings = {k: v for k, v in dataclasses.asdict(config).items() if k not in _NOT_KEYED}
    text = json.dumps(settings, sort_keys=True, default=repr)
    return _hash(f"{code_fingerprint()}\0{text}".encode())[:20]


_code_fingerprint: str | None = None


def code_fingerprint() -> str:
    """exportlint's version and source, libcst's version and the Python version, hashed."""
    global _code_fingerprint
    if _code_fingerprint is None:
        digest = hashlib.blake2b(f"{__version__}\0{sys.version_info[:2]}".encode(), digest_size=16)
        package = Path(__file__).resolve().parent
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
        spec = importlib.util.find_spec("libcst")
        if spec is not None and spec.origin is not None:
            version = Path(spec.origin).parent / "_version.py"
            digest.update(version.read_bytes() if version.exists() else spec.origin.encode())
        _code_fingerprint = digest.hexdigest()
    return _code_fingerprint


def file_digest(data: bytes) -> str:
    """The content hash of a file's bytes."""
    return _hash(data)


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def _mark_used(base: Path, directory: Path) -> None:
    """Create the cache directory (ignored by git) and drop namespaces nobody used for a day."""
    with contextlib.suppress(OSError):
        if not base.exists():
            base.mkdir(parents=True)
            (base / ".gitignore").write_text("# Created by exportlint: the result cache.\n*\n")
            (base / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                                               "# The exportlint result cache; safe to delete.\n")
        directory.mkdir(exist_ok=True)
        os.utime(directory)
        spaces = sorted((p for p in base.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in spaces[_KEEP_NAMESPACES:]:
            if time.time() - old.stat().st_mtime > _STALE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)

