"""Render processes for ``render --jobs N``: a worker that dies is one failed briefing, not a broken batch.

``concurrent.futures.ProcessPoolExecutor`` (used before) marks the whole pool broken when one
worker is killed (``BrokenProcessPool``): every pending briefing fails and the index is never
built. Here each worker takes one task at a time over its own pipe, so the parent always knows
which briefing a dead worker held: that briefing fails with the cause ("worker killed by
signal 9"), its kernel folder is removed, a fresh worker takes its place and the run goes on.
A worker that outlives the briefing time limit by :data:`GRACE` seconds (its own watch should
have ended the briefing) is killed the same way. Pebble's pool also survives dead workers, but
on a time-out it kills the worker outright, orphaning its kernel; the workers here end a
briefing themselves and shut their kernel down.

On SIGTERM or SIGINT the parent asks every worker to stop (SIGTERM: each abandons its briefing
and shuts its kernel down), waits up to :data:`STOP_WAIT` seconds, kills what is left and
removes their kernel folders.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait

from csdemand.render import interrupt
from csdemand.render.execution import clean_stale_kernel_dirs, describe_exit

#: Seconds past the briefing time limit before the parent kills a silent worker.
GRACE = 60.0
#: Seconds the parent waits for workers to stop after SIGTERM before killing them.
STOP_WAIT = 20.0


@dataclass
class _Worker:
    proc: mp.process.BaseProcess
    conn: object
    task: tuple | None = None
    label: str = ""
    started: float = 0.0


@dataclass
class PoolStop:
    """What a stopped pool left: briefings abandoned mid-render and tasks never started."""

    abandoned: list[str] = field(default_factory=list)
    not_started: int = 0


def _watch_parent(parent: int) -> None:
    """In a worker: stop (as on SIGTERM) when the parent process is gone."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            return


def worker_main(conn, parent: int, target: Callable, init: Callable | None, close: Callable | None) -> None:
    """A worker's loop: receive a task, send back ``target(task)``, until told to stop (None) or
    stopped by a signal; ``close`` runs at the end (it shuts the worker's kernel down)."""
    with interrupt.handling():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
        try:
            if init is not None:
                init()
            while True:
                try:
                    task = conn.recv()
                except (EOFError, OSError):
                    break
                if task is None:
                    break
                result = target(task)
                try:
                    conn.send(result)
                except (BrokenPipeError, OSError):
                    break
        except interrupt.Stopped:
            interrupt.acknowledge()
        finally:
            if close is not None:
                close()


def run(
    tasks: list[tuple],
    jobs: int,
    target: Callable,
    label_of: Callable[[tuple], str],
    on_result: Callable[[tuple], bool | None],
    failure: Callable[[tuple, str, float], tuple],
    timeout: float,
    init: Callable | None = None,
    close: Callable | None = None,
) -> None:
    """Run ``target(task)`` for every task in ``jobs`` spawned processes; ``on_result`` gets each
    result as it arrives (a result for a task whose worker died is ``failure(task, cause,
    seconds)``); when it returns True the pool stops early (no new tasks; the others finish).

    Raises :class:`~csdemand.render.interrupt.Stopped` with ``.pool`` (a :class:`PoolStop`)
    when a stop signal arrives; workers are stopped and their kernels shut down first."""
    ctx = mp.get_context("spawn")  # a clean interpreter per worker: no forked kernel sockets
    queue = deque(tasks)
    workers: list[_Worker] = []
    halted = False
    bounced: dict[tuple, int] = {}

    def start() -> _Worker:
        here, there = ctx.Pipe()
        proc = ctx.Process(target=worker_main, args=(there, os.getpid(), target, init, close), name="csdemand-render")
        proc.start()
        there.close()
        return _Worker(proc, here)

    def retire(w: _Worker) -> None:
        _kill_tree(w.proc)
        clean_stale_kernel_dirs(owner=w.proc.pid)
        workers.remove(w)

    def assign(w: _Worker) -> None:
        task = queue.popleft()
        try:
            w.conn.send(task)
        except OSError:  # the worker died between two tasks: the task goes back, a new worker comes
            retire(w)
            bounced[task] = bounced.get(task, 0) + 1
            if bounced[task] < 3:
                queue.appendleft(task)
            elif on_result(failure(task, "no render worker stayed alive to take it", 0.0)):
                nonlocal halted
                halted = True
            return
        w.task, w.label, w.started = task, label_of(task), time.monotonic()

    def lost(w: _Worker, cause: str) -> None:
        task, secs = w.task, time.monotonic() - w.started
        w.task = None
        retire(w)
        if task is not None and on_result(failure(task, cause, secs)):
            nonlocal halted
            halted = True

    try:
        while True:
            if halted:
                queue.clear()
            for w in list(workers):
                if w.task is None and queue:
                    if w.proc.is_alive():
                        assign(w)
                    else:
                        retire(w)
            while queue and len(workers) < jobs:
                w = start()
                workers.append(w)
                assign(w)
            busy = [w for w in workers if w.task is not None]
            if not busy:
                break
            wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=0.5)
            interrupt.check()
            for w in busy:
                result = None
                try:
                    if w.conn.poll():
                        result = w.conn.recv()
                except (EOFError, OSError):
                    result = None
                if result is not None:
                    w.task = None
                    if on_result(result):
                        halted = True
                elif not w.proc.is_alive():
                    w.proc.join(5)
                    lost(
                        w,
                        f"worker {describe_exit(w.proc.exitcode)} while rendering this briefing (a fresh worker "
                        "takes the next)",
                    )
                elif time.monotonic() - w.started > timeout + GRACE:
                    lost(
                        w,
                        f"worker gave no answer {timeout + GRACE:g} s after the briefing started (time limit "
                        f"{timeout:g} s) and was killed",
                    )
        for w in workers:
            with contextlib.suppress(OSError):
                w.conn.send(None)
        for w in workers:
            w.proc.join(30)
            _kill_tree(w.proc)
            clean_stale_kernel_dirs(owner=w.proc.pid)
    except interrupt.Stopped as exc:
        interrupt.acknowledge()
        exc.pool = PoolStop([w.label for w in workers if w.task is not None], len(queue))
        _stop_all(workers)
        raise


def _stop_all(workers: list[_Worker]) -> None:
    """SIGTERM every worker (each abandons its briefing and shuts its kernel down), wait, then kill."""
    for w in workers:
        if w.proc.is_alive():
            with contextlib.suppress(OSError):
                os.kill(w.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for w in workers:
        w.proc.join(max(0.0, deadline - time.monotonic()))
        _kill_tree(w.proc)
        clean_stale_kernel_dirs(owner=w.proc.pid)


def _kill_tree(proc) -> None:
    """Kill a worker and its kernel (a child in its own session, which would otherwise notice
    its parent gone only at its next poll) and reap the worker."""
    if proc.is_alive():
        try:
            import psutil

            for child in psutil.Process(proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
        except Exception:
            pass
        proc.kill()
    proc.join(5)
