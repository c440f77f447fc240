"""The dbt project is Trino SQL (dbt-trino; Athena engine v3 is Trino and dispatches to the same
`default__` macros): every model and data test, compiled for profiles.yml's `trino` output, parses
with sqlglot's Trino dialect and holds none of DuckDB's own constructs (docs/engines.md#trino-and-athena).

No Trino server runs here (it needs Java 21+ and a download): `dbt compile --no-introspect
--no-populate-cache` renders every node without a connection. This proves the SQL is written in
Trino's spelling, not that Trino computes the same numbers; the Spark parity test does that for Spark.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

from pipelines.defs.transform.project import dbt_project
from pipelines.lib.dbt_forkserver import dbt_executable
from tests.transform.conftest import BUDGETS

# DuckDB (and Spark) spellings Trino does not have, found in the compiled text (comments removed).
DUCKDB_ONLY = {
    "group by all": r"\bgroup\s+by\s+all\b",
    "qualify": r"\bqualify\b",
    "* exclude / * except": r"\*\s*(exclude|except)\s*\(",
    "ilike": r"\bilike\b",
    "a lambda (lambda x: ...)": r"\blambda\s+\w+\s*:",
    ":: cast": r"::",
    "// integer division": r"//",
    "a list literal or list type ([...], type[])": r"(^|[\s(,=])\[|\b(?!array\[)\w+\[\]",
    "list_* functions": r"\blist_\w+\s*\(",
    "DuckDB or Spark function": r"\b(map_extract|map_entries|struct_pack|named_struct|arg_max|arg_min|strftime"
    r"|generate_series|string_agg|string_split_regex|regexp_matches|printf|dayname|len|range|explode"
    r"|collect_list|collect_set|date_sub|datediff|timestampdiff|to_json|last_day|hugeint|today|epoch)\s*\(",
    "hugeint": r"\bhugeint\b",
}
# Functions sqlglot does not model (parsed as anonymous calls) that Trino has: anything else unknown
# to sqlglot is reported, so a new DuckDB-only function cannot slip through as an unknown name.
TRINO_FUNCTIONS_SQLGLOT_DOES_NOT_MODEL = {"any_match", "map_filter", "map_values"}


def _code_only(sql: str) -> str:
    """`sql` without its comments and with every string literal emptied (patterns, messages)."""
    sql = re.sub(r"/\*.*?\*/", " ", re.sub(r"--[^\n]*", " ", sql), flags=re.S)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def trino_problems(sql: str) -> list[str]:
    """What in `sql` is not Trino SQL: a parse error (with its line), a DuckDB-only construct (with
    the offending line, string literals emptied), or an unknown function. Empty when the statement is Trino's."""
    try:
        tree = sqlglot.parse_one(sql, read="trino", error_level=ErrorLevel.RAISE)
    except ParseError as exc:
        error = exc.errors[0] if exc.errors else {}
        line = sql.splitlines()[error["line"] - 1].strip() if error.get("line") else ""
        return [f"does not parse as Trino: {error.get('description', exc)} at: {line}"]
    problems = []
    text = _code_only(sql)
    for name, pattern in DUCKDB_ONLY.items():
        for match in re.finditer(pattern, text, flags=re.I | re.M):
            line = text[: match.start()].count("\n")
            problems.append(f"{name} at: {text.splitlines()[line].strip()}")
    for node in tree.find_all(exp.Anonymous):
        if node.name.lower() not in TRINO_FUNCTIONS_SQLGLOT_DOES_NOT_MODEL:
            problems.append(f"function {node.name}() is unknown: {node.sql('trino')[:200]}")
    for node in tree.find_all(exp.Unnest):
        if not isinstance(node.parent, exp.Join | exp.From):
            problems.append(
                f"unnest outside FROM (a select-list generator): {node.parent.sql('trino')[:200]}"
            )
    return problems


@pytest.fixture(scope="module")
def trino_nodes(tmp_path_factory):
    """Every model and data test of the project compiled for the trino output: {unique_id: sql}."""
    target = tmp_path_factory.mktemp("trino_compile")
    result = subprocess.run(
        [
            dbt_executable(),
            "compile",
            "--target",
            "trino",
            "--no-introspect",
            "--no-populate-cache",
            "--project-dir",
            str(dbt_project.project_dir),
            "--profiles-dir",
            str(dbt_project.project_dir),
            "--target-path",
            str(target / "target"),
            "--log-path",
            str(target / "logs"),
        ],
        env={
            **os.environ,
            "BUDGETS_FILE": str(BUDGETS),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # No server: dbt-trino connects lazily, and compile never opens a connection.
            "TRINO_HOST": "127.0.0.1",
            "TRINO_PORT": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"dbt compile --target trino failed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
    )
    manifest = json.loads((target / "target" / "manifest.json").read_text())
    return {
        unique_id: node.get("compiled_code")
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test") and node["package_name"] == "mlcost"
    }


def test_every_model_and_test_compiles_for_trino(trino_nodes):
    models = sorted(p.stem for p in (dbt_project.project_dir / "models").glob("**/*.sql"))
    compiled = {uid.split(".")[-1] for uid, sql in trino_nodes.items() if uid.startswith("model.") and sql}
    assert compiled == set(models), f"not compiled: {sorted(set(models) - compiled)}"
    empty = [uid for uid, sql in trino_nodes.items() if not (sql or "").strip()]
    assert not empty, f"compiled to nothing: {empty}"
    # Every data test of the project (the DuckDB parse the definitions load) compiled too.
    parsed = json.loads(Path(dbt_project.manifest_path).read_text())["nodes"].values()
    tests = {n["unique_id"] for n in parsed if n["resource_type"] == "test" and n["package_name"] == "mlcost"}
    assert len(tests) >= 100
    assert {uid for uid in trino_nodes if uid.startswith("test.")} == tests


def test_every_compiled_node_is_trino_sql(trino_nodes):
    failures = {uid: trino_problems(sql) for uid, sql in sorted(trino_nodes.items())}
    failures = {uid: problems for uid, problems in failures.items() if problems}
    assert not failures, f"{len(failures)} nodes are not Trino SQL:\n" + "\n".join(
        f"{uid}:\n" + "\n".join(f"    {p}" for p in problems[:5]) for uid, problems in failures.items()
    )


@pytest.mark.parametrize(
    "sql",
    [
        "select a, sum(b) from t group by all",
        "select * from t qualify row_number() over (partition by a order by b) = 1",
        "select t.* exclude (b) from t",
        "select * from t where a ilike '%x%'",
        "select list_filter(xs, lambda x: x > 1) from t",
        "select a::varchar from t",
        "select a // 2 from t",
        "select [1, 2] as xs",
        "select unnest(xs) as x from t",
        "select range(0, 3) as xs",
        "select strftime(d, '%Y') from t",
        "select last_day(d) from t",
        "select generate_series(1, 3) as xs",
    ],
)
def test_duckdb_sql_is_caught(sql):
    """The checks above can fail: each DuckDB-only construct the models once used is reported."""
    assert trino_problems(sql), sql


def test_trino_sql_passes():
    sql = """
        with days as (
            select d.usage_date
            from (select date '2025-03-01' as a, date '2025-03-31' as b) as bounds
            cross join unnest(sequence(bounds.a, bounds.b, interval '1' day)) as d (usage_date)
        )
        select usage_date, count(*) as n, any_match(array[1, 2], x -> x > 1) as has_big
        from days
        where lower(cast(usage_date as varchar)) like '2025-%'
        group by usage_date
    """
    assert trino_problems(sql) == []
