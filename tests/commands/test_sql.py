"""`mlcost sql` is a read-only door: one query, on the published copy (or the warehouse with
--warehouse), with a timeout and a memory limit. Everything else is refused in one line, and the
warehouse, the copy and the filesystem stay exactly as they were."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import cli
from pipelines.lib import published

SECRET = "not-for-the-door"


@pytest.fixture
def door(warehouse_path, tmp_path, monkeypatch):
    """A warehouse with raw rows and two marts, its published copy, a file nobody may read through
    the door, and a working directory of its own (relative paths land there)."""
    with duckdb.connect(str(warehouse_path)) as conn:
        conn.execute("create schema raw")
        conn.execute(
            "create table raw.billing_line_items as "
            "select i as line_item_id, (i * 1.25)::decimal(38, 10) as billed_cost from range(40) t(i)"
        )
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.cost_by_model as select * from (values "
            "('churn-model', 26.17::decimal(38, 10)), ('fraud-model', 3.5::decimal(38, 10))) "
            "t(model_name, effective_cost)"
        )
        conn.execute("create table marts.cost_per_prediction as select 'ep-1' as endpoint_name, 0.42 as cost")
        published.publish(conn, published.read_copy_path())
    (tmp_path / "secret.csv").write_text(f"token\n{SECRET}\n")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.delenv("MARTS_READ_PATH", raising=False)
    return warehouse_path


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(root)) + "/": "" for p in root.rglob("*") if p.is_dir()}


def _counts(warehouse: Path) -> dict[str, int]:
    """Rows per table in the warehouse (wh) and the published copy (copy), read in one connection."""
    with duckdb.connect() as conn:
        conn.execute(f"attach '{warehouse}' as wh (read_only)")
        conn.execute(f"attach '{published.read_copy_path()}' as copy (read_only)")
        tables = ("wh.raw.billing_line_items", "wh.marts.cost_by_model", "copy.marts.cost_by_model")
        return {table: conn.execute(f"select count(*) from {table}").fetchone()[0] for table in tables}


ATTACKS = {
    "attach the warehouse and delete raw rows": (
        [],
        "attach '{warehouse}' as wh; delete from wh.raw.billing_line_items where line_item_id < 20",
        "refused: 2 statements",
    ),
    "attach the warehouse read-write": ([], "attach '{warehouse}' as wh (read_write)", "refused: ATTACH"),
    "detach the copy": ([], "detach mlcost", "refused: DETACH"),
    "read_text of the password file": ([], "select * from read_text('/etc/passwd')", "refused: Permission"),
    "read_csv of a file": ([], "select * from read_csv('{secret}')", "refused: Permission"),
    "a file as a table": ([], "from '{secret}'", "refused: Permission"),
    "glob the filesystem": ([], "select * from glob('/etc/*')", "refused: Permission"),
    "read_text inside a CTE": (
        [],
        "with s as (select content from read_text('{secret}')) select * from s",
        "refused: Permission",
    ),
    "copy to a file": ([], "copy (select * from marts.cost_by_model) to 'out.csv'", "refused: COPY"),
    "copy through explain analyze": (
        [],
        "explain analyze copy (select * from marts.cost_by_model) to 'out.csv'",
        "refused: Permission",
    ),
    "export database": ([], "export database '{tmp}/dump'", "refused: EXPORT"),
    "install an extension": ([], "install httpfs", "refused: INSTALL or LOAD"),
    "load an extension": ([], "load json", "refused: INSTALL or LOAD"),
    "turn external access back on": ([], "set enable_external_access = true", "refused: SET"),
    "raise the memory limit": ([], "set memory_limit = '100GB'", "refused: SET"),
    "pragma a setting": ([], "pragma threads = 64", "refused: SET"),
    "unlock the configuration": ([], "reset lock_configuration", "refused: SET"),
    "several statements": ([], "select 1; select 2; select 3", "refused: 3 statements"),
    "create a table": ([], "create table marts.evil as select 1 as x", "refused: CREATE"),
    "create a temp table": ([], "create temp table evil as select 1 as x", "refused: CREATE"),
    "insert into the copy": (
        [],
        "insert into marts.cost_by_model select * from marts.cost_by_model",
        "refused: INSERT",
    ),
    "update the copy": ([], "update marts.cost_by_model set effective_cost = 0", "refused: UPDATE"),
    "delete from the copy": ([], "delete from marts.cost_by_model", "refused: DELETE"),
    "delete through explain analyze": (
        [],
        "explain analyze delete from marts.cost_by_model",
        "read-only mode",
    ),
    "drop a mart": ([], "drop table marts.cost_by_model", "refused: DROP"),
    "checkpoint": ([], "checkpoint", "refused: CALL"),
    "delete raw rows with --warehouse": (
        ["--warehouse"],
        "delete from raw.billing_line_items",
        "refused: DELETE",
    ),
    "read_text with --warehouse": (
        ["--warehouse"],
        "select * from read_text('/etc/passwd')",
        "refused: Permission",
    ),
    "attach a new file with --warehouse": (
        ["--warehouse"],
        "attach '{tmp}/new.duckdb' as n",
        "refused: ATTACH",
    ),
    "delete raw rows through explain analyze with --warehouse": (
        ["--warehouse"],
        "explain analyze delete from raw.billing_line_items",
        "read-only mode",
    ),
}


@pytest.mark.parametrize("flags, query, expected", ATTACKS.values(), ids=ATTACKS.keys())
def test_the_door_refuses_in_one_line_and_changes_nothing(door, tmp_path, capsys, flags, query, expected):
    query = query.format(warehouse=door, secret=tmp_path / "secret.csv", tmp=tmp_path)
    counts, files = _counts(door), _files(tmp_path)

    code = cli.main(["sql", *flags, query])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlcost sql: "), captured.err
    assert expected in lines[0]
    assert "Traceback" not in captured.err and SECRET not in captured.err
    assert _counts(door) == counts
    assert _files(tmp_path) == files  # no out.csv, no dump, no new database, no spill folder


def test_the_connection_itself_refuses_files_attach_and_settings(door):
    """Defence in depth: without the statement check, DuckDB's own controls still hold."""
    conn = published.open_read_only(published.read_copy_path())
    try:
        with pytest.raises(duckdb.PermissionException):
            conn.execute(f"attach '{door}' as wh (read_write)")
        with pytest.raises(duckdb.PermissionException):
            conn.execute("copy (select 1) to 'out.csv'")
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            conn.execute("set enable_external_access = true")
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            conn.execute("delete from marts.cost_by_model")
        assert conn.execute("select count(*) from marts.cost_by_model").fetchone() == (2,)
    finally:
        conn.close()
    assert not Path("out.csv").exists()


@pytest.mark.parametrize("query", ["", "   \n", "-- only a comment\n", "/* nothing */ ;"])
def test_an_empty_query_gets_one_line(door, capsys, query):
    assert cli.main(["sql", query]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mlcost sql: empty query") and err.count("\n") == 1


def test_an_empty_file_and_a_syntax_error_get_one_line(door, tmp_path, capsys):
    empty = tmp_path / "empty.sql"
    empty.write_text("-- a header and nothing else\n")
    assert cli.main(["sql", "-f", str(empty)]) == 2
    assert capsys.readouterr().err.startswith("mlcost sql: empty query")
    assert cli.main(["sql", "selec 1 from"]) == 2
    err = capsys.readouterr().err
    assert "syntax error" in err and err.count("\n") == 1


def test_a_refusal_from_the_real_command_is_one_line_without_traceback(door):
    """A real process, as a user runs it: exit status, stderr and the warehouse."""
    before = _counts(door)
    mlcost = [str(Path(sys.executable).with_name("mlcost"))]
    module = [sys.executable, "-m", "pipelines.cli"]  # CommandError must be one class either way
    for command, query in (
        (module, ""),
        (mlcost, f"attach '{door}' as wh; delete from wh.raw.billing_line_items"),
    ):
        done = subprocess.run(
            [*command, "sql", query],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            timeout=120,
        )
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    assert _counts(door) == before


LEGIT = {
    "select": "select model_name, effective_cost from marts.cost_by_model order by effective_cost desc",
    "cte": "with ranked as (select model_name, effective_cost from marts.cost_by_model) "
    "select * from ranked order by effective_cost desc",
    "from-first": "from marts.cost_by_model select model_name, effective_cost order by effective_cost desc",
    "comments and a semicolon": "-- the biggest first\nselect model_name, effective_cost "
    "from marts.cost_by_model /* both */ order by effective_cost desc;",
}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("query", LEGIT.values(), ids=LEGIT.keys())
def test_queries_still_run_in_every_format(door, capsys, query, fmt):
    assert cli.main(["sql", "--format", fmt, query]) == 0
    out = capsys.readouterr().out
    if fmt == "table":
        lines = out.splitlines()
        assert [c.strip() for c in lines[2].split("|")] == ["churn-model", "26.17"]
        assert lines[-1] == "(2 rows)"
    elif fmt == "csv":
        assert out.splitlines() == ["model_name,effective_cost", "churn-model,26.17", "fraud-model,3.5"]
    else:
        assert json.loads(out) == [
            {"model_name": "churn-model", "effective_cost": 26.17},
            {"model_name": "fraud-model", "effective_cost": 3.5},
        ]


def test_describe_show_explain_files_and_the_warehouse_still_work(door, tmp_path, capsys):
    assert cli.main(["sql", "--format", "csv", "show tables"]) == 0  # the default schema, main
    assert capsys.readouterr().out.splitlines() == ["name", "snapshot_info"]
    assert cli.main(["sql", "--format", "csv", "describe marts.cost_by_model"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("model_name,VARCHAR")
    assert cli.main(["sql", "explain select * from marts.cost_by_model"]) == 0
    assert "physical_plan" in capsys.readouterr().out
    query = tmp_path / "q.sql"
    query.write_text("-- how many models\nselect count(*) as n from marts.cost_by_model;\n")
    assert cli.main(["sql", "--format", "csv", "-f", str(query)]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "2"]
    assert (
        cli.main(
            ["sql", "--warehouse", "--format", "csv", "select count(*) as n from raw.billing_line_items"]
        )
        == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", "40"]


def test_a_slow_query_stops_at_the_timeout(door, capsys):
    started = time.monotonic()
    code = cli.main(
        ["sql", "--timeout", "1", "select count(*) from range(1000000000000) t(i) where hash(i) = 42"]
    )
    elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == [
        "mlcost sql: query stopped after 1 s (--timeout 1); narrow it or allow longer"
    ]
    # ~1 s plus the interrupt; the bound is generous for a loaded machine, not a performance target
    assert 1 <= elapsed < 10


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def test_ctrl_c_stops_a_running_query_in_one_line(door, tmp_path):
    """A real process gets SIGINT while DuckDB works: it stops at once, says so, and exits cleanly
    (no abort from a DuckDB thread left running)."""
    files = _files(tmp_path)
    script = (
        "import sys\n"
        "from pipelines import cli\n"
        "cli.build_parser()\n"  # imports done before the signal can arrive
        "print('ready', flush=True)\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    slow = "select count(*) from range(1000000000000) t(i) where hash(i) = 42"
    process = subprocess.Popen(
        [sys.executable, "-c", script, "sql", slow],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert process.stdout.readline().strip() == "ready"
        # Signal once DuckDB is busy on the query: the process has burnt a second of CPU since.
        started, deadline = _cpu_seconds(process.pid), time.monotonic() + 60
        while _cpu_seconds(process.pid) - started < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 2
    assert err.splitlines() == ["mlcost sql: interrupted"]
    assert _files(tmp_path) == files


def test_a_query_past_the_memory_limit_fails_in_one_line_without_spilling(door, tmp_path, capsys):
    files = _files(tmp_path)
    code = cli.main(
        [
            "sql",
            "--memory-limit",
            "20MB",
            "--threads",
            "1",
            "select count(*) from (select distinct md5(i::varchar) from range(3000000) t(i))",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("mlcost sql: query needs more than --memory-limit 20MB") and err.count("\n") == 1
    assert _files(tmp_path) == files  # no .tmp spill folder in the working directory
    assert cli.main(["sql", "--memory-limit", "plenty", "select 1"]) == 2
    assert capsys.readouterr().err.startswith("mlcost sql: --memory-limit plenty:")


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The DuckDB CLI installed beside this Python, in the current directory (the test's own)."""
    duckdb_cli = Path(sys.executable).with_name("duckdb")
    return subprocess.run([str(duckdb_cli), *args], capture_output=True, text=True, timeout=60)


def test_what_the_duckdb_cli_readonly_flag_does_and_does_not_prevent(door, tmp_path):
    """The claims in docs/sql.md about the bundled DuckDB CLI, checked against the CLI itself."""
    copy, cwd = str(published.read_copy_path()), tmp_path / "cwd"
    # -readonly: the opened file cannot change, and a plain ATTACH is read-only as well ...
    assert "read-only" in _cli("-readonly", copy, "-c", "delete from marts.cost_by_model").stderr
    plain = f"attach '{door}' as wh; delete from wh.raw.billing_line_items"
    assert "read-only" in _cli("-readonly", copy, "-c", plain).stderr
    assert _counts(door)["wh.raw.billing_line_items"] == 40
    # ... but ATTACH ... (READ_WRITE) overrides it, and files, COPY and the shell stay open.
    forced = (
        f"attach '{door}' as wh (read_write); delete from wh.raw.billing_line_items where line_item_id < 10"
    )
    assert _cli("-readonly", copy, "-c", forced).returncode == 0
    assert _counts(door)["wh.raw.billing_line_items"] == 30
    assert SECRET in _cli("-readonly", copy, "-c", f"from read_text('{tmp_path / 'secret.csv'}')").stdout
    assert _cli("-readonly", copy, "-c", "copy (select 1) to 'out.csv'").returncode == 0
    assert (cwd / "out.csv").exists()
    assert "shell-ran" in _cli("-readonly", copy, "-c", ".shell echo shell-ran").stdout
    # -cmd .safe_mode closes those doors (external access off, configuration locked, no .shell).
    safe = ("-readonly", "-cmd", ".safe_mode", copy, "-c")
    assert _cli(*safe, "select count(*) from marts.cost_by_model").returncode == 0
    for statement in (
        forced,
        f"from read_text('{tmp_path / 'secret.csv'}')",
        "copy (select 2) to 'safe.csv'",
    ):
        refused = _cli(*safe, statement)
        assert refused.returncode != 0 and "Permission Error" in refused.stderr
    assert "cannot be used in -safe mode" in _cli(*safe, ".shell echo shell-ran").stderr
    assert _counts(door)["wh.raw.billing_line_items"] == 30
    assert not (cwd / "safe.csv").exists()
