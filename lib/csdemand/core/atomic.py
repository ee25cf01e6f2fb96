"""Writing several files so that a failure leaves the old ones as they were."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_texts(files: dict[Path, str | bytes]) -> None:
    """Write every file (text as UTF-8, bytes as they are) to a temporary sibling first, then move each into place (``os.replace`` is
    atomic on one filesystem). If anything fails before the moves, no target is touched."""
    staged: list[tuple[Path, Path]] = []
    try:
        for final, text in files.items():
            final = Path(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
            staged.append((Path(tmp), final))  # at once: a failure below must still clean it up
            if isinstance(text, bytes):
                with os.fdopen(fd, "wb") as fh:
                    fh.write(text)
            else:
                with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                    fh.write(text)
            os.chmod(tmp, 0o644)  # mkstemp makes 0600; reports and data files are shared
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                tmp.unlink()
