"""The output folder (``render --out``): writing reports into it, and what to say when it cannot be written.

Every write goes through :func:`write`: the files are staged and moved into place together
(:func:`csdemand.core.atomic.write_texts`) with stop signals held until the moves are done, and
an ``OSError`` (a full disk, a read-only or unwritable folder) becomes :class:`OutputError`: one
line, exit status 2, with the reports already there left as they were.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from csdemand.core import atomic
from csdemand.core.errors import InputError
from csdemand.render import interrupt


class OutputError(InputError):
    """The output folder cannot be written (exit status 2); nothing in it was changed."""


def _why(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "")
    reason = exc.strerror or str(exc)
    return f"{reason}, {name}" if name else reason


def output_error(out_dir: Path, exc: OSError) -> OutputError:
    """An :class:`OutputError` for ``exc`` raised while writing under ``out_dir``."""
    hint = {
        errno.ENOSPC: "free some space or choose another --out",
        errno.EDQUOT: "free some space or choose another --out",
        errno.EROFS: "choose a writable --out",
        errno.EACCES: "choose a folder this user may write, with --out",
        errno.EPERM: "choose a folder this user may write, with --out",
    }.get(exc.errno or 0, "check the folder, or choose another with --out")
    return OutputError(
        f"cannot write to the output folder ({_why(exc)}); {hint}. Reports already there were left as they were",
        file=out_dir,
    )


def write(out_dir: Path, files: dict[Path, str]) -> None:
    """Write ``files`` (all under ``out_dir``) together; :class:`OutputError` if the folder refuses."""
    root = Path(out_dir).resolve()
    for path in files:
        resolved = Path(path).resolve()
        if resolved != root and root not in resolved.parents:
            raise OutputError("refusing to write outside the output folder", file=out_dir, value=str(path))
    try:
        with interrupt.deferred():
            atomic.write_texts(files)
    except OSError as exc:
        raise output_error(out_dir, exc) from None


def check_writable(out_dir: Path) -> None:
    """Create ``out_dir`` if need be and prove it takes a file (written, then removed), before
    any briefing is rendered: :class:`OutputError` when it does not (a file in the way, a
    read-only or full filesystem, no permission)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(
            "the output folder is a file, not a folder", file=out_dir, expected="a folder for the reports (--out)"
        )
    probe = out_dir / f".csdemand-probe.{os.getpid()}"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(probe, "w", encoding="utf-8") as fh:
            fh.write("x" * 4096)  # a page's worth: an empty file fits on a full disk
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise output_error(out_dir, exc) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def clean_stale(out_dir: Path) -> list[Path]:
    """Staging files and probes left in ``out_dir`` by a render that was killed (see
    :func:`csdemand.core.atomic.clean_stale`); returns what was removed."""
    removed = atomic.clean_stale(out_dir, depth=3)
    for probe in Path(out_dir).glob(".csdemand-probe.*"):
        pid = probe.name.rsplit(".", 1)[-1]
        try:
            mtime = probe.stat().st_mtime
        except OSError:
            continue
        if pid.isdigit() and not atomic.process_alive(int(pid), mtime):
            try:
                probe.unlink()
                removed.append(probe)
            except OSError:
                pass
    return removed
