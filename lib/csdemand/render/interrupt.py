"""Stopping a render cleanly when SIGTERM (a scheduler, ``systemctl stop``) or SIGINT (Ctrl-C) arrives.

While :func:`handling` is active, the first of those signals raises :class:`Stopped` in the main
thread, wherever it is, so the current briefing is abandoned at once; the code that catches it
shuts kernels down and removes temporary files. Two things are never interrupted: a block of
:func:`deferred` (the moves that put a report's files into place, so a report is never half
written) and the clean-up after the first signal (later signals are remembered, not raised).
:func:`check` raises a remembered signal at a safe point, in case the first raise landed where
Python could only print it (a ``__del__``).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """The run was asked to stop by a signal; the exit status is 128 + the signal number.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that ``except Exception`` around one
    briefing, which turns its errors into a failed briefing, does not swallow it."""

    def __init__(self, signum: int, detail: str = "") -> None:
        self.signum = int(signum)
        self.detail = detail
        super().__init__(detail or f"stopped by {self.name}")

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


_lock = threading.Lock()
_state = {"pending": None, "defer": 0, "stopping": False, "acknowledged": False, "depth": 0}
_previous: dict[int, object] = {}


def _handler(signum: int, frame) -> None:
    if _state["pending"] is None:
        _state["pending"] = signum
    if _state["defer"] or _state["stopping"] or _state["acknowledged"]:
        return
    _state["stopping"] = True  # from here on the clean-up runs to the end
    raise Stopped(signum)


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into :class:`Stopped` for the duration (main thread only;
    elsewhere a no-op). Nested uses share one installation; the old handlers come back after."""
    main = threading.current_thread() is threading.main_thread()
    with _lock:
        outer = _state["depth"] == 0
        _state["depth"] += 1
        if outer and main:
            _state.update(pending=None, defer=0, stopping=False, acknowledged=False)
            for sig in SIGNALS:
                _previous[sig] = signal.signal(sig, _handler)
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if outer and main:
                for sig, old in _previous.items():
                    signal.signal(sig, old)
                _previous.clear()
                _state.update(pending=None, defer=0, stopping=False, acknowledged=False)


@contextlib.contextmanager
def deferred(raise_pending: bool = True) -> Iterator[None]:
    """Hold any stop signal until the block is over (then raise it, unless ``raise_pending`` is
    False: a clean-up that must finish and lets the caller decide)."""
    _state["defer"] += 1
    try:
        yield
    finally:
        _state["defer"] -= 1
    if raise_pending:
        check()


def check() -> None:
    """Raise :class:`Stopped` if a stop signal arrived (outside :func:`deferred`) and its
    :class:`Stopped` has not been caught yet (see :func:`acknowledge`)."""
    if _state["pending"] is not None and not _state["defer"] and not _state["acknowledged"]:
        _state["stopping"] = True
        raise Stopped(_state["pending"])


def acknowledge() -> None:
    """Called by the code that caught :class:`Stopped`: the clean-up it runs now is not
    interrupted again (later signals are remembered only)."""
    _state["acknowledged"] = True


def pending() -> int | None:
    """The stop signal received, if any."""
    return _state["pending"]


def stopping() -> bool:
    """True once a stop signal has been raised (clean-up is running)."""
    return bool(_state["stopping"])
