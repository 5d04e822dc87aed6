"""Exception hierarchy. Messages say what failed and what to do next."""

from __future__ import annotations


class ExportlintError(Exception):
    """Base class for every error exportlint reports to the user as one line."""


class ConfigError(ExportlintError):
    """A bad configuration file, key, value or command-line option."""


class SourceError(ExportlintError):
    """A source file that cannot be read or parsed."""


class ProbeError(ExportlintError):
    """A probe target that cannot be loaded, built or run."""


class VerifyError(ExportlintError):
    """A wrapper that cannot be exported or checked on onnxruntime."""


class MissingExtraError(ExportlintError):
    """`probe` / `fix` need torch and onnx, which the static install does not bring."""
