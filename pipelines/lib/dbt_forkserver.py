"""dbt started from a process that has already imported it: a fork server, and the `mlcost-dbt` client
that dagster-dbt runs in place of `dbt` (docs/scale.md, "What the fourth round cut").

A new dbt process spends seconds importing dbt-core and its adapter (2.8 s of a 5M-line refresh on
this project's machines, 4 s on a busy one) before it reads anything. `mlcost refresh` starts this
fork server while it starts up and ingests, so the imports run on the core that is idle meanwhile; when
the build's `dbt build` comes, the server forks a child that already has dbt loaded, and that child
runs the command exactly as `dbt` would: the client's arguments, working directory, environment and
standard streams (passed as file descriptors over a Unix socket, so dagster-dbt reads dbt's structured
log from the same pipe), and the client exits with the child's exit code or signal. Ctrl-C and SIGTERM
sent to the client are forwarded to the child.

With no server announced in MLCOST_DBT_FORKSERVER, or none listening there, the client replaces itself
with this environment's dbt (exec): `dagster dev`, sensors and schedules run dbt as before.

Plain code: the client imports nothing beyond the standard library; only the server imports dbt.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import selectors
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

# The server's socket, set in the environment of the processes that may run dbt through it.
SERVER_ENV = "MLCOST_DBT_FORKSERVER"
# The client's name, as pyproject.toml installs it.
CLIENT = "mlcost-dbt"
# The standard streams a child takes over from the client: stdin, stdout, stderr.
STREAMS = (0, 1, 2)
_LENGTH = struct.Struct("!Q")


def dbt_executable() -> str:
    """dbt from PATH, else the one installed beside this Python (an un-activated venv)."""
    return shutil.which("dbt") or str(Path(sys.executable).parent / "dbt")


def client_executable() -> str:
    """`mlcost-dbt` beside this Python (installed with mlcost), else dbt itself."""
    client = Path(sys.executable).parent / CLIENT
    return str(client) if client.exists() else dbt_executable()


# ---------------------------------------------------------------------------------------------- client


def client_main() -> None:
    """`mlcost-dbt ARGS...`: `dbt ARGS...`, run by the fork server when one is announced, else exec'd."""
    argv = [dbt_executable(), *sys.argv[1:]]
    address = os.environ.get(SERVER_ENV)
    conn = _connect(address) if address else None
    if conn is None:
        os.execv(argv[0], argv)
    with conn:
        request = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
        socket.send_fds(conn, [_LENGTH.pack(len(request)) + request], list(STREAMS))
        replies = conn.makefile("r", encoding="utf-8")
        child = _reply(replies, "pid")
        if child is None:
            _fail("the dbt fork server stopped before it started dbt")
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, _frame: _forward(child, signum))
        code = _reply(replies, "exit")
    if code is None:
        _fail(f"the dbt fork server stopped while dbt (pid {child}) ran")
    if code < 0:  # dbt was killed by a signal: so is this process, as its parent expects of dbt
        if -code != signal.SIGKILL:  # whose handling cannot be set (signal.signal raises)
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


def _connect(address: str) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(address)
    except OSError:  # gone (its refresh ended or was killed): dbt itself will do
        conn.close()
        return None
    return conn


def _reply(replies, word: str) -> int | None:
    """The number the server sends after `word`, or None when it closed the connection first."""
    line = replies.readline()
    if not line.startswith(f"{word} "):
        return None
    return int(line.split()[1])


def _forward(child: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signum)


def _fail(message: str) -> None:
    print(f"mlcost-dbt: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------------------------- server


@contextlib.contextmanager
def started() -> Iterator[str]:
    """Start a fork server for the duration of the block and announce it (SERVER_ENV) to the
    processes this one starts; yields its socket. The server imports dbt in the background; a client
    that comes before it has finished waits for it. The server ends with the block, or on its own
    when this process dies (its stdin, a pipe from this process, closes)."""
    with tempfile.TemporaryDirectory(prefix="mlcost-dbt-") as folder:
        address = str(Path(folder) / "server.sock")
        # Bound and listening here, before the server process exists: a client that comes while the
        # server is still starting waits in the backlog instead of finding no socket and running dbt
        # on its own. The server inherits the listening socket.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(address)
            listener.listen(8)
            server = subprocess.Popen(
                [sys.executable, "-m", __name__, str(listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),),
            )
        before = os.environ.get(SERVER_ENV)
        os.environ[SERVER_ENV] = address
        try:
            yield address
        finally:
            if before is None:
                os.environ.pop(SERVER_ENV, None)
            else:
                os.environ[SERVER_ENV] = before
            server.stdin.close()  # the server's signal to end, once a dbt it runs has ended
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def serve(listening: int) -> tuple[dict, list[int]] | None:
    """Import dbt, then accept clients on the listening socket `listening` (a descriptor inherited
    from started()) and run one client's dbt at a time until stdin closes. Returns None in the
    server; in each forked child, the client's request and descriptors."""
    listener = socket.socket(fileno=listening)  # clients that connect meanwhile wait for the imports
    # dbt only: importing duckdb (the adapter) starts a thread of DuckDB's, and a forked child
    # has none of its parent's threads (it aborted at exit). The adapter takes 0.1 s in the child.
    import dbt.cli.main  # noqa: F401

    # What the imports made lives as long as every child: out of the collector's way (its full
    # collections walked it again and again in each build), and left unwritten, so shared with the
    # children instead of copied into each of them (pipelines/lib/gc_policy.py does the same).
    gc.collect()
    gc.freeze()
    with listener, selectors.DefaultSelector() as events:
        events.register(listener, selectors.EVENT_READ)
        events.register(sys.stdin, selectors.EVENT_READ)
        while True:
            ready = {key.fileobj for key, _ in events.select()}
            if sys.stdin in ready and not sys.stdin.buffer.read1(1):
                return None  # the process that started this server has ended it, or died
            if listener in ready:
                conn, _ = listener.accept()
                with conn:
                    job = _fork_one(conn)
                if job is not None:
                    return job  # the child: it leaves the server's loop and runs dbt


def _fork_one(conn: socket.socket) -> tuple[dict, list[int]] | None:
    """Fork a child for the client on `conn`: the child gets the request back; the server waits for
    the child and tells the client its pid and then its exit code."""
    try:
        request, fds = _receive(conn)
    except (OSError, ValueError):
        return None  # a client that went away before it had asked: nothing started
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        return request, fds
    for fd in fds:
        os.close(fd)
    with contextlib.suppress(OSError):  # a client killed meanwhile: dbt still runs to its end
        conn.sendall(f"pid {child}\n".encode())
    _, status = os.waitpid(child, 0)
    with contextlib.suppress(OSError):
        conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
    return None


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 65536, len(STREAMS))
    if len(fds) != len(STREAMS) or len(data) < _LENGTH.size:
        for fd in fds:
            os.close(fd)
        raise ValueError("incomplete request")
    (length,) = _LENGTH.unpack_from(data)
    body = bytearray(data[_LENGTH.size :])
    while len(body) < length:
        more = conn.recv(length - len(body))
        if not more:
            raise ValueError("incomplete request")
        body += more
    return json.loads(body), fds


def run_dbt(request: dict, fds: list[int]) -> int:
    """In a forked child: `dbt ARGV` as the client would have run it, on the client's streams, in its
    directory and environment; returns dbt's exit code (the caller exits with it, as dbt does)."""
    for target, fd in zip(STREAMS, fds, strict=True):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # New stream objects over the client's descriptors, buffered as Python would buffer them in a new
    # process with this environment (dagster-dbt sets PYTHONUNBUFFERED for dbt).
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1 if unbuffered else -1)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    sys.argv = list(request["argv"])
    from dbt.cli.main import cli

    try:
        cli(args=sys.argv[1:], prog_name="dbt")  # as the `dbt` script, which exits with dbt's code
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    job = serve(int(sys.argv[1]))
    # A child exits as a dbt process does (exit handlers, the warehouse closed and checkpointed).
    sys.exit(run_dbt(*job) if job is not None else 0)
