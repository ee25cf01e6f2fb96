"""Executing briefing notebooks in a reused Jupyter kernel, with a time limit and a watch on the kernel.

The kernel and its client are asynchronous (``AsyncKernelManager``) and run on one event loop per
:class:`Executor`: while a cell runs, the loop keeps checking that the kernel is alive (every
second), that the briefing's time limit has not passed and that no stop signal arrived. A
blocking client (what this module used before) sat inside one ``poll`` for as long as nbclient's
timeout, so a kernel killed by the out-of-memory killer hung the render for 10 minutes and more.

Each kernel's files (connection file, IPC sockets) live in one folder
``<tmp>/csdemand-kernel-<pid>-<random>``, named by the process that owns it, so that a folder
left by a process that was killed can be recognised and removed (:func:`clean_stale_kernel_dirs`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path

import nbformat

from csdemand.core import atomic
from csdemand.core.errors import InputError, RenderError
from csdemand.render import interrupt

KERNEL_NAME = "csdemand"
RESET_TAG = "csdemand-reset"
KERNEL_DIR_PREFIX = "csdemand-kernel-"
#: Environment variable for the per-briefing time limit in seconds (``render --timeout`` wins).
TIMEOUT_ENV = "CSDEMAND_RENDER_TIMEOUT"
DEFAULT_TIMEOUT = 600.0
#: How long a kernel may take to start and answer.
START_TIMEOUT = 120.0
#: How often the loop looks at the clock and for a stop signal while a cell runs (seconds).
TICK = 0.25


def default_timeout() -> float:
    """The per-briefing time limit: ``$CSDEMAND_RENDER_TIMEOUT`` seconds, else 600.

    A value that is not a positive number is bad input (:class:`InputError`, exit 2)."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    return parse_timeout(raw, f"${TIMEOUT_ENV}")


def parse_timeout(value: object, where: str = "--timeout") -> float:
    """A time limit in seconds from text: a positive number, or :class:`InputError` naming ``where``."""
    try:
        seconds = float(str(value).strip())
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise InputError(
            "not a time limit",
            column=where,
            value=str(value),
            expected="a number of seconds greater than 0, such as 600",
        )
    return seconds


def _seconds(limit: float) -> str:
    return f"{limit:g} s"


# --------------------------------------------------------------------------- kernel folders


def kernel_dir() -> str:
    """A new folder for one kernel's files, named after this process."""
    return tempfile.mkdtemp(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-")


def clean_stale_kernel_dirs(tmp: str | Path | None = None, owner: int | None = None) -> list[Path]:
    """Remove kernel folders whose owning process is provably gone (see
    :func:`csdemand.core.atomic.process_alive`), or only those of ``owner`` (a worker just seen to
    die). Folders from before the owner's pid was in the name are removed when older than a day.
    Returns the folders removed."""
    removed = []
    folder = Path(tmp or tempfile.gettempdir())
    for path in folder.glob(KERNEL_DIR_PREFIX + "*"):
        try:
            if path.is_symlink() or not path.is_dir():
                continue
            mtime = path.stat().st_mtime
        except OSError:
            continue
        m = re.fullmatch(re.escape(KERNEL_DIR_PREFIX) + r"(\d+)-[A-Za-z0-9_]+", path.name)
        if owner is not None:
            stale = bool(m) and int(m[1]) == owner
        elif m:
            stale = not atomic.process_alive(int(m[1]), mtime)
        else:
            stale = (
                bool(re.fullmatch(re.escape(KERNEL_DIR_PREFIX) + r"[A-Za-z0-9_]{8}", path.name))
                and time.time() - mtime > atomic.LEGACY_AGE
            )
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _kernel_name(nb: nbformat.NotebookNode) -> str:
    """The notebook's kernel if it is installed, else this interpreter's own ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    wanted = nb.metadata.get("kernelspec", {}).get("name", KERNEL_NAME)
    return wanted if wanted in KernelSpecManager().find_kernel_specs() else "python3"


def kernel_env() -> dict[str, str]:
    """The environment a briefing kernel starts with: this process's, with one BLAS thread.

    Small statsmodels fits run slower, not faster, with a BLAS thread pool fighting the other
    render process for 2 cores: one thread each (measured: a SARIMA fit 3.6 s -> 0.3 s)."""
    return {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}


def start_warm_kernels(briefing, warm_up: str):
    """The run's warm-kernel server (:mod:`~csdemand.render.warm_kernels`) for ``briefing``'s
    kernel, importing ``warm_up`` before it forks any kernel; None where it cannot serve."""
    from csdemand.render import warm_kernels

    kernel = _kernel_name(nbformat.read(str(briefing.path), as_version=4))
    return warm_kernels.start_for(kernel, warm_up, kernel_env(), str(briefing.path.parent))


def describe_exit(status: int | None) -> str:
    """A process exit status in words: ``killed by signal 9 (SIGKILL)``, ``exited with status 1``."""
    if status is None:
        return "exit status unknown"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "unknown signal"
        return f"killed by signal {-status} ({name})"
    return f"exited with status {status}"


def _client_class():
    """nbclient's ``NotebookClient``, minus its kernel set-up: the kernel and client are the
    :class:`Executor`'s (started, reused, shut down there), and nbclient must not install its own
    SIGINT/SIGTERM handlers (they only shut its kernel down and let the run carry on) or atexit hooks."""
    from nbclient import NotebookClient

    class Client(NotebookClient):
        @contextlib.asynccontextmanager
        async def async_setup_kernel(self, **kwargs):
            yield

    return Client


class Executor:
    """Runs notebooks in one Jupyter kernel, reused from notebook to notebook.

    Starting a kernel and importing pandas, matplotlib and statsmodels costs a few seconds; a
    batch pays it once per process. Between notebooks the kernel's namespace is cleared
    (``%reset -f``) so no variable leaks from one briefing into the next; imported modules stay
    cached, which is the point. Parameters are injected as Papermill does (an
    ``injected-parameters`` cell after the ``parameters`` cell), so notebooks behave the same in
    JupyterLab, under Papermill and here.

    ``timeout`` is the time limit for one briefing's notebook in seconds (default
    :func:`default_timeout`; starting a kernel is bounded apart, by :data:`START_TIMEOUT`). A
    kernel that dies, or a briefing that reaches the limit, is a :class:`RenderError` naming the
    cell; the kernel is then replaced for the next briefing.
    """

    def __init__(self, kernel_name: str | None = None, timeout: float | None = None) -> None:
        self.kernel_name = kernel_name
        self.timeout = float(timeout) if timeout is not None else default_timeout()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.km = None
        self.kc = None
        self.folder: str | None = None
        self.ready = False  # the kernel answered (a prestarted one may still be booting)

    # ---------------------------------------------------------------- kernel life

    async def _spawn(self, kernel_name: str, cwd: str, warm_up: str = "") -> None:
        """Start the kernel process and connect to it, without waiting for it to answer;
        ``warm_up`` (imports) is queued for it to run as soon as it is up."""
        from csdemand.render import warm_kernels

        self.ready = False
        self.folder = kernel_dir()
        # IPC (Unix sockets) rather than TCP on localhost: nothing listens on a port, and the
        # kernel has no "running over TCP without encryption" warning to print into cron logs.
        # The manager forks the kernel from the run's warm-kernel server when there is one.
        self.km = warm_kernels.manager_class()(
            kernel_name=kernel_name,
            transport="ipc",
            ip=os.path.join(self.folder, "k"),
            connection_file=os.path.join(self.folder, "kernel.json"),
        )
        await self.km.start_kernel(cwd=cwd, env=kernel_env())
        self.kc = self.km.client()
        self.kc.start_channels()
        if warm_up:
            # Requests are served in order: the kernel's answer to wait_for_ready comes after it.
            self.kc.execute(warm_up, silent=True, store_history=False, allow_stdin=False)

    async def _wait_ready(self) -> None:
        await self.kc.wait_for_ready(timeout=START_TIMEOUT)
        self.ready = True

    async def _start(self, kernel_name: str, cwd: str) -> None:
        await self._spawn(kernel_name, cwd)
        await self._wait_ready()

    def prestart(self, briefing, warm_up: str = "") -> None:
        """Start the kernel for ``briefing`` now and return at once: the kernel boots and runs
        ``warm_up`` (the notebooks' imports) while this process does other work (the data
        checks); the first :meth:`run` waits for it, within the start-up limit. A kernel that
        fails to start here is started again by :meth:`run`."""
        kernel = self.kernel_name or _kernel_name(nbformat.read(str(briefing.path), as_version=4))
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        try:
            self._drive(self._spawn(kernel, str(briefing.path.parent), warm_up))
        except Exception:
            self.close()  # run() starts a fresh one

    def kernel_pid(self) -> int | None:
        """The running kernel's process id (tests kill it), or None."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(proc, "pid", None)

    async def _exit_status(self) -> int | None:
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is None:
            return None
        for _ in range(20):  # the kernel was seen dead; its status is there at once or very soon
            status = proc.poll()
            if status is not None:
                return status
            await asyncio.sleep(0.05)
        return None

    async def _aclose(self) -> None:
        kc, km, folder = self.kc, self.km, self.folder
        self.kc = self.km = self.folder = None
        self.ready = False
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            try:
                if km.has_kernel:
                    await asyncio.wait_for(km.shutdown_kernel(now=True), 10)
            except Exception:
                _kill(km)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)  # connection file and IPC sockets

    def close(self) -> None:
        """Shut the kernel down (killed: it holds nothing worth keeping) and remove its folder."""
        with interrupt.deferred(raise_pending=False):
            if self.loop is not None and not self.loop.is_closed():
                try:
                    self._cancel_tasks()
                    self._drive(self._aclose())
                except BaseException:
                    if self.km is not None:
                        _kill(self.km)
                    if self.folder:
                        shutil.rmtree(self.folder, ignore_errors=True)
                    self.km = self.kc = self.folder = None
                finally:
                    with contextlib.suppress(Exception):
                        self.loop.close()
                    self.loop = None
            elif self.km is not None:
                _kill(self.km)
                if self.folder:
                    shutil.rmtree(self.folder, ignore_errors=True)
                self.km = self.kc = self.folder = None

    def _cancel_tasks(self) -> None:
        """Cancel what nbclient left running on the loop (pollers of an abandoned cell)."""
        tasks = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for t in tasks:
            t.cancel()
        if tasks:
            self._drive(asyncio.wait(tasks, timeout=5))
        for t in tasks:
            _retrieve(t)

    def _drive(self, coro):
        """Run ``coro`` on this executor's loop: here, or in a helper thread when this thread
        already runs an event loop (inside Playwright's sync API or a notebook)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self.loop.run_until_complete(coro)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="csdemand-kernel") as helper:
            return helper.submit(self.loop.run_until_complete, coro).result()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---------------------------------------------------------------- running

    def run(self, briefing, parameters: dict) -> nbformat.NotebookNode:
        """Execute a briefing with parameters; :class:`RenderError` names the failing cell and the cause."""
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = load_notebook_node(str(briefing.path))  # as Papermill reads it: every cell gets metadata.tags
        kernel = self.kernel_name or _kernel_name(nb)
        nb = parameterize_notebook(nb, parameters, kernel_name=kernel, language="python")
        # Clear the previous notebook's variables (imports stay cached); removed after the run.
        nb.cells.insert(0, nbformat.v4.new_code_cell("%reset -f", metadata={"tags": [RESET_TAG]}))
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        try:
            self._drive(self._run(briefing, nb, kernel))
        except interrupt.Stopped:
            self.close()  # the briefing is abandoned: its kernel goes with it
            raise
        finally:
            nb.cells = [c for c in nb.cells if RESET_TAG not in c.metadata.get("tags", [])]
        return nb

    async def _run(self, briefing, nb: nbformat.NotebookNode, kernel: str) -> None:
        from nbclient.exceptions import CellExecutionError, DeadKernelError

        loop = asyncio.get_running_loop()
        if self.km is None or not await self.km.is_alive():
            await self._aclose()
            start = asyncio.ensure_future(self._start(kernel, str(briefing.path.parent)))
            await self._watch(start, loop.time() + START_TIMEOUT, briefing, nb, None, starting=True)
        elif not self.ready:  # started by prestart(): wait for it to answer
            start = asyncio.ensure_future(self._wait_ready())
            await self._watch(start, loop.time() + START_TIMEOUT, briefing, nb, None, starting=True)
        deadline = loop.time() + self.timeout  # the notebook's own time: a kernel start is bounded apart
        where: dict[str, int | None] = {"cell": None}
        client = _client_class()(
            nb,
            km=self.km,
            timeout=None,
            kernel_name=kernel,
            resources={"metadata": {"path": str(briefing.path.parent)}},
        )
        client.kc = self.kc  # reuse our client: nbclient would open (and leak) a new one per notebook
        client.on_cell_execute = lambda cell, cell_index: where.update(cell=cell_index)
        task = asyncio.ensure_future(client.async_execute(reset_kc=False))
        try:
            await self._watch(task, deadline, briefing, nb, where)
        except CellExecutionError:
            raise RenderError(_first_error(briefing, nb)) from None
        except DeadKernelError:
            status = await self._exit_status()
            await self._aclose()
            oom = "; the out-of-memory killer sends SIGKILL" if status == -signal.SIGKILL else ""
            raise RenderError(
                f"{briefing.name}: the kernel died while running {_cell_words(nb, where['cell'])} "
                f"({describe_exit(status)}{oom})"
            ) from None

    async def _watch(self, task: asyncio.Future, deadline: float, briefing, nb, where, starting: bool = False) -> None:
        """Wait for ``task``, looking at the clock and for a stop signal every :data:`TICK` seconds."""
        loop = asyncio.get_running_loop()
        try:
            while not task.done():
                await asyncio.wait({task}, timeout=TICK)
                interrupt.check()
                if not task.done() and loop.time() > deadline:
                    task.cancel()
                    await asyncio.wait({task}, timeout=5)
                    _retrieve(task)
                    await self._aclose()  # a fresh kernel for the next briefing
                    if starting:
                        raise RenderError(f"{briefing.name}: the kernel did not start within {_seconds(START_TIMEOUT)}")
                    raise RenderError(
                        f"{briefing.name}: stopped at the time limit of {_seconds(self.timeout)} while running "
                        f"{_cell_words(nb, where['cell'] if where else None)} (render --timeout or ${TIMEOUT_ENV} "
                        "sets the limit)"
                    )
        except BaseException:
            if not task.done():
                task.cancel()
            raise
        if starting and task.exception() is not None:
            exc = task.exception()
            await self._aclose()
            raise RenderError(f"{briefing.name}: the kernel did not start ({type(exc).__name__}: {exc})")
        task.result()


def _retrieve(task: asyncio.Future) -> None:
    """Mark a finished task's exception as seen (a cancelled cell ends nbclient's task with one;
    asyncio would print it as 'never retrieved')."""
    if task.done() and not task.cancelled():
        task.exception()


def _kill(km) -> None:
    """Kill a kernel's process group without the event loop (last resort)."""
    proc = getattr(getattr(km, "provisioner", None), "process", None)
    if proc is None:
        return
    with contextlib.suppress(Exception):
        os.killpg(proc.pid, signal.SIGKILL)  # the kernel leads its own session and group
    with contextlib.suppress(Exception):
        proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


def _code_cell_number(nb: nbformat.NotebookNode, index: int | None) -> int | None:
    """Cell ``index`` (in the executed notebook) as JupyterLab numbers code cells from 1, not
    counting Papermill's injected cell or the reset cell."""
    if index is None:
        return None
    n = 0
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "injected-parameters" in tags or RESET_TAG in tags:
            if i == index:
                return None
            continue
        n += 1
        if i == index:
            return n
    return None


def _cell_words(nb: nbformat.NotebookNode, index: int | None) -> str:
    n = _code_cell_number(nb, index)
    if n is not None:
        return f"cell {n}"
    if index is None:
        return "the start of the notebook"
    tags = nb.cells[index].metadata.get("tags", [])
    return "the injected parameters" if "injected-parameters" in tags else "the namespace reset before the notebook"


def _first_error(briefing, nb: nbformat.NotebookNode) -> str:
    """'<briefing>: cell N raised Error: message' for the first cell with an error output.

    N counts code cells from 1 as JupyterLab shows them, not counting Papermill's injected cell."""
    n = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "injected-parameters" in tags or RESET_TAG in tags:
            continue
        n += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"{briefing.name}: cell {n} raised {out.get('ename')}: {out.get('evalue')}"
    return f"{briefing.name}: a cell raised an error"


def execute(
    briefing, parameters: dict, workdir: Path | None = None, timeout: float | None = None
) -> nbformat.NotebookNode:
    """Run one notebook in a fresh kernel (see :class:`Executor`); ``workdir`` is unused, kept for callers."""
    with Executor(timeout=timeout) as ex:
        return ex.run(briefing, parameters)
