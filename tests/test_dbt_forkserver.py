"""`mlcost-dbt` and its fork server (pipelines/lib/dbt_forkserver.py): a dbt forked from the server
behaves as dbt run directly (its log, exit code, the warehouse it closes, Ctrl-C), and without a
server the client is dbt itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pipelines.defs.transform.project import dbt_project
from pipelines.lib import dbt_forkserver

CLIENT = Path(sys.executable).parent / dbt_forkserver.CLIENT

pytestmark = pytest.mark.skipif(not CLIENT.exists(), reason=f"{CLIENT} is not installed (make setup)")


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop(dbt_forkserver.SERVER_ENV, None)
    return env


def _dbt(
    args: list[str], env: dict[str, str], executable: Path | str = CLIENT
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(executable), *args],
        cwd=dbt_project.project_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _server(address: str) -> psutil.Process:
    """The fork server listening on `address` (tests/conftest.py starts another for the session)."""
    (server,) = [
        p
        for p in psutil.Process().children()
        if any(c.laddr == address for c in p.net_connections(kind="unix"))
    ]
    return server


def test_dbt_runs_forked_from_the_server_as_it_runs_alone(env, tmp_path):
    direct = _dbt(["debug", "--connection"], env, dbt_forkserver.dbt_executable())
    with dbt_forkserver.started() as address:
        # Listening before the server has started, so a client that comes at once is served (CI once
        # ran this client before the server had bound its socket, and dbt ran unforked).
        assert Path(address).is_socket()
        server = _server(address)
        forked_env = {**env, dbt_forkserver.SERVER_ENV: address}
        proc = subprocess.Popen(
            [str(CLIENT), "debug", "--connection"],
            cwd=dbt_project.project_dir, env=forked_env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        stdout, _ = proc.communicate(timeout=120)
        # A second command is served as well, one after the other.
        failed = _dbt(["run", "--project-dir", str(tmp_path / "no-project")], forked_env)
        assert server.is_running()
    assert proc.returncode == direct.returncode == 0, stdout
    events = _events(stdout)
    # dbt ran in a child of the server (its log names that pid), not in the client.
    (pid,) = {e["info"]["pid"] for e in events}
    assert pid not in (proc.pid, server.pid)
    # The same log as dbt's own, event for event; the warehouse was opened and closed (checkpointed).
    assert [e["info"]["name"] for e in events] == [e["info"]["name"] for e in _events(direct.stdout)]
    assert "All checks passed!" in stdout
    assert (tmp_path / "warehouse.duckdb").exists()
    assert not (tmp_path / "warehouse.duckdb.wal").exists()
    # dbt's exit code is the client's: 2 for a project that does not exist, as dbt itself.
    alone = _dbt(["run", "--project-dir", str(tmp_path / "no-project")], env)
    assert failed.returncode == alone.returncode == 2
    assert "does not exist" in failed.stderr and failed.stderr == alone.stderr
    # The server ends with the block that started it.
    server.wait(timeout=15)


def _forked_parse(env: dict[str, str], address: str) -> tuple[subprocess.Popen, psutil.Process]:
    """A client running a full `dbt parse` through the server at `address`, once dbt has started (the
    parse takes seconds), and that dbt: the server's child, not the client."""
    proc = subprocess.Popen(
        [str(CLIENT), "parse", "--no-partial-parse"],
        cwd=dbt_project.project_dir, env={**env, dbt_forkserver.SERVER_ENV: address},
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    dbt = psutil.Process(json.loads(proc.stdout.readline())["info"]["pid"])
    assert dbt.pid != proc.pid and dbt.ppid() == _server(address).pid
    return proc, dbt


def test_ctrl_c_reaches_the_forked_dbt(env):
    with dbt_forkserver.started() as address:
        proc, dbt = _forked_parse(env, address)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert not dbt.is_running()
        # dbt's own answer to Ctrl-C (an error exit, not a hang or a kill), then the server goes on.
        assert proc.returncode == 2, rest
        assert "KeyboardInterrupt" in rest
        assert _dbt(["debug", "--connection"], {**env, dbt_forkserver.SERVER_ENV: address}).returncode == 0


def test_a_killed_dbt_kills_the_client_with_the_same_signal(env):
    # The OOM killer picks the forked dbt (it holds the memory): its parent, dagster-dbt, must see the
    # client die of SIGKILL, as it would see plain dbt die (tests/transform/test_dbt_stopped.py).
    with dbt_forkserver.started() as address:
        proc, dbt = _forked_parse(env, address)
        dbt.kill()
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL
        assert _dbt(["debug", "--connection"], {**env, dbt_forkserver.SERVER_ENV: address}).returncode == 0


@pytest.mark.parametrize("announced", [False, True], ids=["no server", "server gone"])
def test_without_a_server_the_client_is_dbt(env, tmp_path, announced):
    if announced:
        env[dbt_forkserver.SERVER_ENV] = str(tmp_path / "gone.sock")
    proc = subprocess.Popen(
        [str(CLIENT), "debug", "--connection"],
        cwd=dbt_project.project_dir,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, stdout
    # exec: dbt runs in the client's own process
    assert {e["info"]["pid"] for e in _events(stdout)} == {proc.pid}
