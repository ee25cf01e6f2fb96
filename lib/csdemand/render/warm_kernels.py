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
the manager sends (interrupt, terminate) and exits when the kernel exits, with the kernel's
status (killed by signal 9 reads as killed by signal 9). The manager, nbclient and the render's
fault handling therefore see one kernel process, as before. When the launcher dies (killed with
its worker), the server kills its kernel; when the server dies, its kernels end within a second
(ipykernel's parent poller) and new launchers start a kernel the usual way. Only the user who
started the server may ask it for a kernel (the peer's uid is checked).

Linux only (abstract socket names, ``SO_PEERCRED``, fork); elsewhere kernels start the usual way.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys

#: Environment variable through which render processes (and their workers) find the server:
#: JSON ``{"address": ..., "python": [interpreter and its flags]}``.
ENV = "CSDEMAND_WARM_KERNELS"
#: Set in each forked kernel's environment: the pid of its launcher (tests find the worker by it).
LAUNCHER_ENV = "CSDEMAND_KERNEL_LAUNCHER"
MODULE = "csdemand.render.warm_kernels"
#: Seconds a launcher may take to send its request once connected.
REQUEST_TIMEOUT = 10.0


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


def launch(address: str, kernel_args: list[str]) -> None:
    """Ask the server at ``address`` for a kernel with ``kernel_args`` (``-f <connection file>``),
    relay signals to it and end as it ends. Without a server: become an ordinary kernel."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(_socket_name(address))
    except OSError:
        sock.close()
        _ordinary_kernel(kernel_args)
    pending: list[int] = []
    child = {"pid": 0}

    def relay(signum, _frame) -> None:
        if child["pid"]:
            with contextlib.suppress(OSError):
                os.kill(child["pid"], signum)
        else:
            pending.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, relay)
    request = {"args": kernel_args, "cwd": os.getcwd(), "env": dict(os.environ), "launcher": os.getpid()}
    try:
        _send(sock, request, [0, 1, 2])
        reply, _ = _recv(sock)
    except (OSError, EOFError, ValueError):
        sock.close()
        _ordinary_kernel(kernel_args)  # the server went away before it forked: start one here
    child["pid"] = int(reply["pid"])
    for signum in pending:
        relay(signum, None)
    try:
        status = int(_recv(sock)[0]["status"])
    except (OSError, EOFError, ValueError, KeyError):
        # The server died: its kernel ends with it (parent poller). Make sure, and report a failure.
        with contextlib.suppress(OSError):
            os.kill(child["pid"], signal.SIGKILL)
        status = 1
    _exit_like(status)


def _ordinary_kernel(kernel_args: list[str]) -> None:
    """Replace this process by ``python [flags] -m ipykernel_launcher ARGS`` (same interpreter and flags)."""
    argv = list(getattr(sys, "orig_argv", [sys.executable]))
    prefix = argv[: argv.index("-m")] if "-m" in argv else [sys.executable]
    command = [*prefix, "-m", "ipykernel_launcher", *kernel_args]
    os.execv(command[0] if os.path.isabs(command[0]) else sys.executable, command)


# --------------------------------------------------------------------------- the server


def serve(address: str, warm_up: str) -> int:
    """Bind ``address``, run ``warm_up`` (guarded imports), then fork a kernel per request until
    told to stop (SIGTERM) or the process that started this one is gone."""
    import gc
    import selectors

    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(_socket_name(address))
    listener.listen(64)
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
    kernels: dict[int, socket.socket] = {}  # kernel pid -> its launcher's connection
    owners: dict[socket.socket, int] = {}

    def finish(pid: int, status: int) -> None:
        conn = kernels.pop(pid, None)
        if conn is None:
            return
        owners.pop(conn, None)
        with contextlib.suppress(OSError):
            _send(conn, {"status": status})
        _close(selector, conn)

    try:
        while not stopping["now"]:
            for key, _ in selector.select(timeout=1.0):
                if key.data == "wake":
                    try:
                        while os.read(wake_r, 512):
                            pass
                    except BlockingIOError:
                        pass
                elif key.data == "accept":
                    conn, _ = listener.accept()
                    if _peer_uid(conn) != os.getuid():
                        conn.close()
                        continue
                    pid = _fork_kernel(conn, [listener, selector.fileno(), wake_r, wake_w, *owners])
                    if pid:
                        kernels[pid] = conn
                        owners[conn] = pid
                        selector.register(conn, selectors.EVENT_READ, "launcher")
                    else:
                        conn.close()
                else:  # a launcher's connection: it only ever closes (its launcher died)
                    conn = key.fileobj
                    try:
                        data = conn.recv(1)
                    except OSError:
                        data = b""
                    if not data and conn in owners:
                        _kill(owners[conn])
            _reap(finish)
            if os.getppid() != parent:
                break
    finally:
        for pid in list(kernels):
            _kill(pid)
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


def _kill(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


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


def _fork_kernel(conn: socket.socket, close_in_child: list) -> int:
    """Read a launcher's request from ``conn`` and fork its kernel; the kernel's pid (0 on a bad request)."""
    conn.settimeout(REQUEST_TIMEOUT)
    try:
        request, fds = _recv(conn, with_fds=3)
    except (OSError, EOFError, ValueError):
        return 0
    conn.settimeout(None)
    if len(fds) != 3:
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
        except OSError:
            _kill(pid)
        return pid
    # ---- the kernel (never returns)
    status = 1
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for obj in [*close_in_child, conn]:
            with contextlib.suppress(OSError):
                obj.close() if hasattr(obj, "close") else os.close(obj)
        os.setsid()  # its own session and group, as jupyter_client starts a kernel
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        env = {k: v for k, v in request["env"].items() if k != ENV}
        env["JPY_PARENT_PID"] = str(os.getppid())  # the server: if it dies, the kernel ends
        env[LAUNCHER_ENV] = str(request.get("launcher", ""))
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["ipykernel_launcher", *request["args"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=list(request["args"]))
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
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
    return [*cmd[:i], "-m", MODULE, "launch", config["address"], *cmd[i + 2 :]]


def current() -> dict | None:
    """The running server this process was told of (through :data:`ENV`), or None."""
    raw = os.environ.get(ENV, "")
    if not raw or not available():
        return None
    try:
        config = json.loads(raw)
        return {"address": str(config["address"]), "python": [str(p) for p in config["python"]]}
    except (ValueError, KeyError, TypeError):
        return None


def manager_class():
    """``AsyncKernelManager`` whose kernels come from the warm-kernel server when there is one."""
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
        self.proc = subprocess.Popen(
            [*self.python, "-m", MODULE, "serve", self.address],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env={**env, ENV: ""},
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C in the terminal is the render's to handle, not the server's
        )
        try:
            self.proc.stdin.write(warm_up.encode())
            self.proc.stdin.close()
        except OSError:
            pass
        os.environ[ENV] = json.dumps({"address": self.address, "python": self.python})

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

        argv = list(KernelSpecManager().get_kernel_spec(kernel_name).argv)
    except Exception:
        return None
    if "-m" not in argv or argv[argv.index("-m") + 1 : argv.index("-m") + 2] != ["ipykernel_launcher"]:
        return None
    python = argv[: argv.index("-m")]
    if not python or not os.path.isabs(python[0]):
        return None
    try:
        return Server(python, warm_up, env, cwd)
    except OSError:
        return None


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "serve":
        return serve(argv[1], sys.stdin.read())
    if len(argv) >= 2 and argv[0] == "launch":
        launch(argv[1], argv[2:])
        return 0
    print(f"usage: python -m {MODULE} serve ADDRESS | launch ADDRESS -f CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
