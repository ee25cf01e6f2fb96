"""Warm kernels: briefing kernels forked from one process that has already imported the notebooks' libraries.

A kernel started the usual way (a new Python running ipykernel) imports pandas, matplotlib,
statsmodels and this package before its first cell: about 2 s of CPU, paid again by every render
process of ``--jobs``. Here one *server* process imports them once (the notebooks' own import
lines, as :func:`~csdemand.render.notebooks.warm_up_code` collects them) and then forks a kernel
for each request: the child starts ipykernel on the connection file it was given, with the
libraries already in memory (shared copy-on-write). This is the zygote of Android and the
``forkserver`` start method of :mod:`multiprocessing`, applied to Jupyter kernels.

The server freezes what it imported (:func:`gc.freeze`, after a collection): the cyclic
collector of a kernel then never walks those objects again. Each ``%reset -f`` between two
notebooks runs two full collections, which over a warm heap cost about 0.3 s a briefing.

Jupyter's kernel manager still starts a process of its own, the *launcher* (``python -m
csdemand.render.warm_kernels launch ...``, which imports nothing of note). The launcher asks the
server for a kernel over a Unix socket, handing over its standard streams, passes on the signals
the manager sends (interrupt, terminate) to the kernel's process group and exits when the kernel
exits, with the kernel's status (killed by signal 9 reads as killed by signal 9). The manager,
nbclient and the render's fault handling therefore see one kernel process, as before.

Who ends what: when a launcher dies (killed with its worker, or by the manager), the server kills
its kernel's process group; when a launcher's parent dies, the launcher does the same; when the
server dies, its kernels end within a second (ipykernel's parent poller, pointed at the server)
and launchers start kernels the usual way. The socket is bound and listening in the render
process before anyone is told its name, and stays open there for the whole run, so no other
process can take the name; each side checks that the other runs as the same user
(``SO_PEERCRED``). A launcher that gets no kernel within :data:`REPLY_TIMEOUT` seconds starts
one the usual way.

Linux only (abstract socket names, ``SO_PEERCRED``, fork); elsewhere kernels start the usual way.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import socket
import struct
import sys
import time

#: Environment variable through which render processes (and their workers) find the server:
#: JSON ``{"address": ..., "pid": ..., "python": [interpreter and its flags]}``.
ENV = "CSDEMAND_WARM_KERNELS"
#: Set in each forked kernel's environment: the pid of its launcher (tests find the worker by it).
LAUNCHER_ENV = "CSDEMAND_KERNEL_LAUNCHER"
MODULE = "csdemand.render.warm_kernels"
#: The signals a launcher passes on to its kernel's process group (what a kernel manager sends).
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
#: Seconds a launcher may take to send its request once connected.
REQUEST_TIMEOUT = 5.0
#: Seconds a launcher waits for its kernel (the server imports for ~2-5 s first) before it starts one itself.
REPLY_TIMEOUT = 60.0


def available() -> bool:
    """Whether warm kernels can be used on this system (Linux: abstract sockets, fork, peer credentials)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_PEERCRED") and hasattr(socket, "send_fds")


def _socket_name(address: str) -> str:
    """The abstract socket name (a leading NUL: no file to leave behind) for an address ``@name``."""
    return "\0" + address.lstrip("@")


# --------------------------------------------------------------------------- the wire


def _send(sock: socket.socket, payload: dict, fds: list[int] | None = None) -> None:
    data = json.dumps(payload).encode()
    frame = struct.pack("!I", len(data)) + data
    if fds:
        socket.send_fds(sock, [frame], fds)
    else:
        sock.sendall(frame)


def _recv_exact(sock: socket.socket, n: int, first: bytes = b"") -> bytes:
    buf = first
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def _recv(sock: socket.socket, with_fds: int = 0) -> tuple[dict, list[int]]:
    fds: list[int] = []
    if with_fds:
        first, fds, _flags, _addr = socket.recv_fds(sock, 65536, with_fds)
        if not first:
            raise EOFError("connection closed")
    else:
        first = sock.recv(4)
        if not first:
            raise EOFError("connection closed")
    head = _recv_exact(sock, 4, first[:4])
    (size,) = struct.unpack("!I", head)
    body = _recv_exact(sock, size, first[4:])
    return json.loads(body[:size]), fds


# --------------------------------------------------------------------------- the launcher


def _exit_like(status: int) -> None:
    """End this process as the kernel ended: the same exit code, or killed by the same signal."""
    if status < 0:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
        os._exit(128 - status)  # a signal whose default is not to end a process
    os._exit(status)


def _killpg(pid: int, sig: int) -> None:
    """Signal a kernel's process group (it leads one, as jupyter_client starts a kernel), so a
    cell's own subprocesses get it too; the kernel alone if the group is gone."""
    if pid <= 1:
        return
    try:
        os.killpg(pid, sig)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (not gone, not a zombie waiting for its parent)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _wait_frame(sock: socket.socket, seconds: float, parent: int, server: int = 0) -> dict | None:
    """The next message from the server, waiting at most ``seconds`` (None on time-out, or at
    once when the ``server`` process is gone) and giving up (SystemExit) if this launcher's parent
    goes: nobody would be left to end the kernel."""
    deadline = time.monotonic() + seconds
    while True:
        ready, _, _ = select.select([sock], [], [], 1.0)
        if ready:
            return _recv(sock)[0]
        if os.getppid() != parent:
            raise SystemExit(1)
        if time.monotonic() > deadline or (server and not _running(server)):
            return None


def launch(address: str, server: int, kernel_args: list[str]) -> None:
    """Ask the server (process ``server``) at ``address`` for a kernel with ``kernel_args`` (``-f
    <connection file>``), relay signals to it and end as it ends. Without a server (none there,
    another user's, gone, or no answer within :data:`REPLY_TIMEOUT`): become an ordinary kernel."""
    parent = os.getppid()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(_socket_name(address))
        if _peer_uid(sock) != os.getuid():
            raise ConnectionRefusedError("the socket is another user's")
    except OSError:
        sock.close()
        _ordinary_kernel(kernel_args)
    pending: list[int] = []
    child = {"pid": 0}

    def relay(signum, _frame) -> None:
        if child["pid"]:
            _killpg(child["pid"], signum)
        else:
            pending.append(signum)

    for sig in RELAYED:
        signal.signal(sig, relay)
    request = {"args": kernel_args, "cwd": os.getcwd(), "env": dict(os.environ), "launcher": os.getpid()}
    try:
        _send(sock, request, [0, 1, 2])
        reply = _wait_frame(sock, REPLY_TIMEOUT, parent, server)
        pid = int(reply["pid"]) if reply is not None else 0
    except (OSError, EOFError, ValueError, KeyError, TypeError):
        pid = 0
    if pid <= 1:  # no kernel (the server went away, or is stuck): closing tells it to drop this one
        sock.close()
        for sig in RELAYED:
            signal.signal(sig, signal.SIG_DFL)
        _ordinary_kernel(kernel_args)
    child["pid"] = pid
    for signum in pending:
        relay(signum, None)
    try:
        while True:
            message = _wait_frame(sock, 3600.0, parent)
            if message is not None:
                status = int(message["status"])
                break
    except (OSError, EOFError, ValueError, KeyError, TypeError, SystemExit):
        # The server died (its kernel ends with it) or this launcher's parent did: end the kernel.
        _killpg(pid, signal.SIGKILL)
        status = 1
    _exit_like(status)


def _ordinary_kernel(kernel_args: list[str]) -> None:
    """Replace this process by ``python [flags] -m ipykernel_launcher ARGS`` (same interpreter and flags)."""
    argv = list(getattr(sys, "orig_argv", [sys.executable]))
    prefix = argv[: argv.index("-m")] if "-m" in argv else [sys.executable]
    command = [*prefix, "-m", "ipykernel_launcher", *kernel_args]
    os.execv(command[0] if os.path.isabs(command[0]) else sys.executable, command)


# --------------------------------------------------------------------------- the server


def serve(listen_fd: int, warm_up: str) -> int:
    """On the listening socket ``listen_fd`` (bound by the render process), run ``warm_up``
    (guarded imports), then fork a kernel per request until told to stop (SIGTERM) or the
    process that started this one is gone."""
    import gc
    import selectors

    parent = os.getppid()
    listener = socket.socket(fileno=listen_fd)
    # Launchers that connect now wait in the backlog while the libraries load.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel sets it
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; IPython puts '' back in each kernel
    exec(compile(warm_up, "<warm-up>", "exec"), {})
    import ipykernel.ipkernel
    import ipykernel.kernelapp
    import ipykernel.zmqshell  # noqa: F401

    gc.collect()
    gc.freeze()  # what is in memory now stays out of every kernel's collections

    stopping = {"now": False}
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(wake_r, False)

    def on_signal(signum, _frame) -> None:
        if signum != signal.SIGCHLD:
            stopping["now"] = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(sig, on_signal)
    signal.set_wakeup_fd(wake_w)  # a child's exit or a stop wakes the loop at once
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "wake")
    kernels: dict[int, socket.socket | None] = {}  # kernel pid -> its launcher's connection (None: gone)

    def finish(pid: int, status: int) -> None:
        if pid not in kernels:
            return
        conn = kernels.pop(pid)
        if conn is not None:
            with contextlib.suppress(OSError):
                _send(conn, {"status": status})
            _close(selector, conn)

    try:
        while not stopping["now"]:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "wake":
                    with contextlib.suppress(BlockingIOError):
                        while os.read(wake_r, 512):
                            pass
                elif key.data == "accept":
                    conn, _ = listener.accept()
                    if _peer_uid(conn) != os.getuid():
                        conn.close()
                        continue
                    others = [c for c in kernels.values() if c is not None]
                    pid = _fork_kernel(conn, [listener, selector.fileno(), wake_r, wake_w, *others], os.getpid())
                    if pid:
                        kernels[pid] = conn
                        selector.register(conn, selectors.EVENT_READ, pid)
                    else:
                        conn.close()
                else:  # a launcher's connection only ever closes: its launcher died, so its kernel goes
                    pid = key.data
                    _close(selector, key.fileobj)
                    if kernels.get(pid) is key.fileobj:
                        kernels[pid] = None
                        _killpg(pid, signal.SIGKILL)
            _reap(finish)
            if os.getppid() != parent:
                break
    finally:
        for pid in list(kernels):
            _killpg(pid, signal.SIGKILL)
        for pid in list(kernels):
            try:
                _, status = os.waitpid(pid, 0)
                finish(pid, os.waitstatus_to_exitcode(status))
            except ChildProcessError:
                finish(pid, -signal.SIGKILL)
        listener.close()
    return 0


def _close(selector, conn: socket.socket) -> None:
    with contextlib.suppress(KeyError, ValueError):
        selector.unregister(conn)
    conn.close()


def _reap(finish) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        finish(pid, os.waitstatus_to_exitcode(status))


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _fork_kernel(conn: socket.socket, close_in_child: list, server: int) -> int:
    """Read a launcher's request from ``conn`` and fork its kernel; the kernel's pid (0 on a bad request)."""
    conn.settimeout(REQUEST_TIMEOUT)  # only the same user gets here; a stuck one holds the others 5 s at most
    try:
        request, fds = _recv(conn, with_fds=3)
    except (OSError, EOFError, ValueError):
        return 0
    conn.settimeout(None)
    if len(fds) != 3 or not isinstance(request.get("args"), list):
        for fd in fds:
            os.close(fd)
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        try:
            _send(conn, {"pid": pid})
        except OSError:  # the launcher is gone already
            _killpg(pid, signal.SIGKILL)
        return pid
    _kernel_main(request, fds, [*close_in_child, conn], server)  # never returns
    return 0


def _kernel_main(request: dict, fds: list[int], close: list, server: int) -> None:
    """In the forked child: become the kernel the launcher asked for, then end as a Python
    process ends (threads joined, exit handlers run: ipykernel closes its sockets there)."""
    status = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for obj in close:
            with contextlib.suppress(OSError):
                obj.close() if hasattr(obj, "close") else os.close(obj)
        os.setsid()  # its own session and process group, as jupyter_client starts a kernel
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        env = {str(k): str(v) for k, v in dict(request.get("env") or {}).items() if k != ENV}
        env[LAUNCHER_ENV] = str(request.get("launcher", ""))
        os.environ.clear()
        os.environ.update(env)
        # ipykernel read JPY_PARENT_PID when the server imported it: name the parent to watch
        # here, so the kernel ends when the server does (and prints no "Ctrl-C will not work" note).
        args = [str(a) for a in request["args"]] + [f"--IPKernelApp.parent_handle={server}"]
        sys.argv = ["ipykernel_launcher", *args]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=args)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            import atexit
            import threading

            getattr(threading, "_shutdown", lambda: None)()
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)


# --------------------------------------------------------------------------- the render process's side


def launcher_command(cmd: list[str], config: dict | None = None) -> list[str] | None:
    """The launcher's command for a kernel command ``[python, flags..., -m, ipykernel_launcher, args...]``
    whose interpreter and flags are the server's; None when there is no server or they differ."""
    config = config if config is not None else current()
    if not config or "-m" not in cmd:
        return None
    i = cmd.index("-m")
    if cmd[i + 1 : i + 2] != ["ipykernel_launcher"] or cmd[:i] != config["python"]:
        return None
    return [*cmd[:i], "-m", MODULE, "launch", config["address"], str(config["pid"]), *cmd[i + 2 :]]


def current() -> dict | None:
    """The running server this process was told of (through :data:`ENV`), or None."""
    raw = os.environ.get(ENV, "")
    if not raw or not available():
        return None
    try:
        config = json.loads(raw)
        return {
            "address": str(config["address"]),
            "pid": int(config["pid"]),
            "python": [str(p) for p in config["python"]],
        }
    except (ValueError, KeyError, TypeError):
        return None


@functools.cache
def manager_class():
    """``AsyncKernelManager`` whose kernels come from the warm-kernel server when there is one
    (one class per process; whether there is a server is read at each kernel's start)."""
    from jupyter_client.manager import AsyncKernelManager

    class WarmKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            return launcher_command(cmd) or cmd

    return WarmKernelManager


class Server:
    """The warm-kernel server of one render run: started, told to the run's workers through
    :data:`ENV`, and stopped (with every kernel it forked) at the end.

    ``python`` is the kernel's interpreter and flags (its kernelspec's ``argv`` before ``-m``);
    ``warm_up`` the guarded import lines to run before forking; ``env`` the kernels' environment."""

    def __init__(self, python: list[str], warm_up: str, env: dict[str, str], cwd: str) -> None:
        import secrets
        import subprocess

        self.python = list(python)
        self.address = f"@csdemand-kernels-{os.getpid()}-{secrets.token_hex(8)}"
        self._previous = os.environ.get(ENV)
        # Bound and listening here, before the name is told to anyone, and held open for the run:
        # a launcher never finds the name free, taken by another process, or not yet listening.
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.listener.bind(_socket_name(self.address))
            self.listener.listen(64)
            self.proc = subprocess.Popen(
                [*self.python, "-m", MODULE, "serve", str(self.listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                env={k: v for k, v in env.items() if k != ENV},
                cwd=cwd,
                pass_fds=[self.listener.fileno()],
                start_new_session=True,  # a Ctrl-C in the terminal is the render's to handle, not the server's
            )
        except BaseException:
            self.listener.close()
            raise
        with contextlib.suppress(OSError):
            self.proc.stdin.write(warm_up.encode())
            self.proc.stdin.close()
        os.environ[ENV] = json.dumps({"address": self.address, "pid": self.proc.pid, "python": self.python})

    def stop(self) -> None:
        """Stop the server (it kills the kernels it still has) and wait for it, so its CPU time
        and its kernels' are counted with this process's children."""
        if self.address in os.environ.get(ENV, ""):
            if self._previous is None:
                os.environ.pop(ENV, None)
            else:
                os.environ[ENV] = self._previous
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except Exception:
                self.proc.kill()
                self.proc.wait(5)
        self.listener.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_for(kernel_name: str, warm_up: str, env: dict[str, str], cwd: str) -> Server | None:
    """A server for the kernels of ``kernel_name`` (an installed kernelspec run as ``python [flags]
    -m ipykernel_launcher -f {connection_file}``), or None where warm kernels cannot serve it."""
    if not available() or os.environ.get("CSDEMAND_WARM_KERNELS_OFF"):
        return None
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        argv = list(spec.argv)
    except Exception:
        return None
    if "-m" not in argv or argv[argv.index("-m") + 1 : argv.index("-m") + 2] != ["ipykernel_launcher"]:
        return None
    if getattr(spec, "env", None):
        return None  # its own environment would be read by the server's imports, not the kernel's
    python = argv[: argv.index("-m")]
    if not python or not os.path.isabs(python[0]):
        return None
    try:
        return Server(python, warm_up, env, cwd)
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "serve":
        return serve(int(argv[1]), sys.stdin.read())
    if len(argv) >= 3 and argv[0] == "launch":
        launch(argv[1], int(argv[2]), argv[3:])
        return 0
    print(
        f"usage: python -m {MODULE} serve LISTENING_FD | launch ADDRESS SERVER_PID -f CONNECTION_FILE", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
