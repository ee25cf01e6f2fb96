"""Writing several files so that a failure leaves the old ones as they were."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

#: A staging file: ``.<final name>.<pid of the writer>.<random>.tmp`` (the pid makes a file left
#: by a killed writer provably stale, see :func:`clean_stale`).
STAGING = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]{8}\.tmp")
#: A staging file named before the pid was part of the name (``.<final name>.<random>.tmp``).
LEGACY_STAGING = re.compile(r"\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp")
#: Legacy staging files older than this many seconds are stale: a write stages for milliseconds.
LEGACY_AGE = 24 * 3600


def write_texts(files: dict[Path, str | bytes]) -> None:
    """Write every file (text as UTF-8, bytes as they are) to a temporary sibling first, then move
    each into place (``os.replace`` is atomic on one filesystem). If anything fails before the
    moves, no target is touched."""
    staged: list[tuple[Path, Path]] = []
    try:
        for final, text in files.items():
            final = Path(final)
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent)
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


def process_alive(pid: int, since: float | None = None) -> bool:
    """Whether process ``pid`` runs and could be the one that wrote a file last modified at
    ``since`` (epoch seconds): a pid whose process started after that is a reused number, so
    the writer is gone. A zombie counts as gone. Unknown cases count as alive (keep the file)."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    try:
        import psutil  # installed with ipykernel; only sharpens the answer

        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return since is None or proc.create_time() <= since + 1
    except ImportError:
        return True
    except Exception:  # psutil.NoSuchProcess between the two checks
        return False


def clean_stale(folder: Path, depth: int = 3) -> list[Path]:
    """Remove staging files of :func:`write_texts` left under ``folder`` (to ``depth`` levels) by
    a writer that was killed: only those whose writer process is provably gone (its pid is not
    running, or is running a process started after the file was written), and pre-pid ones older
    than :data:`LEGACY_AGE`. Returns the files removed."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    candidates = [p for level in range(depth + 1) for p in folder.glob("/".join(["*"] * level + [".*.tmp"]))]
    for path in candidates:
        try:
            if path.is_symlink() or not path.is_file():
                continue
            mtime = path.stat().st_mtime
        except OSError:
            continue
        m = STAGING.fullmatch(path.name)
        if m:
            stale = not process_alive(int(m["pid"]), mtime)
        else:
            stale = bool(LEGACY_STAGING.fullmatch(path.name)) and now - mtime > LEGACY_AGE
        if stale:
            try:
                path.unlink()
                removed.append(path)
            except FileNotFoundError:
                pass
    return removed
