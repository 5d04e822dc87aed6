"""The exit codes of every command (scan, probe, fix, rules, rule, config), in one place.

ruff's convention: 0 nothing to report, 1 something to report, 2 the command could not do
its job.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a command's exit status means."""

    CLEAN = 0     # no error finding; every target probed clean; every fix verified
    FINDINGS = 1  # an error finding, a file that could not be read, a failed target or fix
    ERROR = 2     # usage error, internal error, nothing could be read or probed, timeout


# The names the commands use.
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = ExitCode.CLEAN, ExitCode.FINDINGS, ExitCode.ERROR
