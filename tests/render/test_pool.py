"""The worker pool alone, with trivial tasks (no kernels): a dead worker is one failed task."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from csdemand.render import interrupt, pool


def work(task: tuple) -> tuple:
    """A task: ("ok", n) answers, ("die", n) kills its own worker, ("sleep", n) sleeps n seconds."""
    kind, n = task
    if kind == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    if kind == "sleep":
        time.sleep(n)
    return (f"{kind} {n}", "done", os.getpid())


def failure(task: tuple, cause: str, seconds: float) -> tuple:
    return (f"{task[0]} {task[1]}", cause, None)


def label(task: tuple) -> str:
    return f"{task[0]} {task[1]}"


def test_a_worker_that_dies_fails_its_task_only_and_a_fresh_worker_takes_the_rest():
    results = []
    tasks = [("ok", 1), ("die", 2), ("ok", 3), ("ok", 4), ("ok", 5)]
    pool.run(tasks, 2, work, label, lambda r: results.append(r), failure, timeout=60)
    by_task = {r[0]: r[1] for r in results}
    assert by_task == {
        "ok 1": "done",
        "ok 3": "done",
        "ok 4": "done",
        "ok 5": "done",
        "die 2": "worker killed by signal 9 (SIGKILL) while rendering this briefing (a fresh worker takes the next)",
    }


def test_a_result_asking_to_halt_stops_new_tasks():
    results = []
    pool.run(
        [("ok", n) for n in range(6)],
        1,
        work,
        label,
        lambda r: results.append(r) or r[0] == "ok 1",
        failure,
        timeout=60,
    )
    assert [r[0] for r in results] == ["ok 0", "ok 1"]


def test_a_stop_signal_stops_the_workers_and_says_what_was_abandoned():
    timer = threading.Timer(3.0, lambda: os.kill(os.getpid(), signal.SIGTERM))
    with interrupt.handling():
        timer.start()
        with pytest.raises(interrupt.Stopped) as stopped:
            pool.run([("sleep", 60), ("sleep", 61), ("ok", 3)], 2, work, label, lambda r: None, failure, timeout=600)
    timer.cancel()
    assert stopped.value.exit_status == 143
    assert sorted(stopped.value.pool.abandoned) == ["sleep 60", "sleep 61"] and stopped.value.pool.not_started == 1
