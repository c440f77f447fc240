"""A real PostgreSQL server for the instance tests, from Debian's `postgresql` package (`make postgres`
installs it): initdb into a temporary folder, started on a free port on 127.0.0.1 with its socket in
that folder, stopped and removed at teardown."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    username: str
    password: str
    database: str

    def connect(self):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, user=self.username, password=self.password, dbname=self.database
        )


def _server_binaries() -> Path | None:
    """The bin folder of the newest PostgreSQL installed the Debian way."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """initdb and postgres refuse to run as root: as root they run as the `postgres` user (`nobody`
    without it), owning the temporary folder. Password authentication (SCRAM) on every connection, so
    a test can prove where the password goes and where it does not."""
    binaries = _server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql (`make postgres` installs them)")
    root = Path(tempfile.mkdtemp(prefix="mlcost-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = "postgres"
        try:
            entry = pwd.getpwnam(user)
        except KeyError:
            user, entry = "nobody", pwd.getpwnam("nobody")
        os.chown(root, entry.pw_uid, entry.pw_gid)
        run_as = ["runuser", "-u", user, "--"]
    server = PostgresServer(
        host="127.0.0.1",
        port=_free_port(),
        username="mlcost",
        password="pg-" + secrets.token_urlsafe(18),
        database="postgres",
    )
    password_file = root / "password"
    password_file.write_text(server.password + "\n")
    if run_as:
        os.chown(password_file, entry.pw_uid, entry.pw_gid)
    data = root / "data"

    def run(*args: str) -> None:
        result = subprocess.run([*run_as, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr[-2000:]}{tail}")

    run(
        str(binaries / "initdb"), "-D", str(data), "-U", server.username, f"--pwfile={password_file}",
        "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8",
    )  # fmt: skip
    password_file.unlink()
    # fsync off: a test server, thrown away at the end.
    options = f"-c listen_addresses={server.host} -p {server.port} -k {root} -c fsync=off"
    run(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "server.log"),
        "-o",
        options,
        "-w",
        "start",
    )
    try:
        yield server
    finally:
        subprocess.run(
            [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
