"""`python -m exportlint` runs the CLI."""

from __future__ import annotations

import sys

from exportlint.cli import main

sys.exit(main())
