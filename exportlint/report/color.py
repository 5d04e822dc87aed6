"""`--color auto|always|never`, shared by every command that prints a rich report."""

from __future__ import annotations

COLOR_CHOICES = ("auto", "always", "never")

# The `color` argument of `report.terminal.make_console`: None follows the terminal and NO_COLOR.
COLOR: dict[str, bool | None] = {"auto": None, "always": True, "never": False}
