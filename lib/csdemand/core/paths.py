"""Where things live. Every location can be overridden by an environment variable, so a
scheduler or a test can point the suite elsewhere without touching code or notebooks."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root (this file is ``lib/csdemand/core/paths.py``).
ROOT = Path(__file__).resolve().parents[3]


def data_dir() -> Path:
    """Tidy tables: ``$CSDEMAND_DATA`` or ``data/sample``."""
    return Path(os.environ.get("CSDEMAND_DATA", ROOT / "data" / "sample"))


def reports_dir() -> Path:
    """Rendered briefings: ``$CSDEMAND_REPORTS`` or ``reports``."""
    return Path(os.environ.get("CSDEMAND_REPORTS", ROOT / "reports"))


def notebooks_dir() -> Path:
    """Briefing notebooks: ``$CSDEMAND_NOTEBOOKS`` or ``notebooks``."""
    return Path(os.environ.get("CSDEMAND_NOTEBOOKS", ROOT / "notebooks"))


def reference_data_dir() -> Path:
    """The published files (``../shared/reference-data`` beside the checkout), if present."""
    return Path(os.environ.get("CSDEMAND_REFERENCE_DATA", ROOT.parent / "shared" / "reference-data"))
