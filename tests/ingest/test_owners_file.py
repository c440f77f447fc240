"""The owners file: what users write, what is rejected (one line naming file, entry and field), what loads."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from pipelines.defs.ingest.owners import owner_rules as owner_rules_asset
from pipelines.lib import owners
from pipelines.lib.settings import REPO_ROOT

GOOD = """\
owners:
  - account: "111111111111"
    team: Research
    environment: dev
  - account: "111111111111"
    service: AmazonEC2
    region: us-east-1
    project: gpu-boxes
"""


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("owners:\n  - account: '12345'\n    team: a\n", 2, "owner rule 1: field 'account' is '12345'"),
        ("owners:\n  - team: a\n", 2, "owner rule 1: missing field 'account'"),
        ("owners:\n  - account: '111111111111'\n    environment: dev\n", 2, "needs at least one of team"),
        ("owners:\n  - account: '111111111111'\n    team: a\n    colour: red\n", 4, "unknown field 'colour'"),
        ("owners:\n  - account: '111111111111'\n    team: [a, b]\n", 3, "field 'team' must be a non-empty"),
        ("owners:\n  - account: '111111111111'\n    region: Virginia\n    team: a\n", 3, "field 'region'"),
        (
            "owners:\n  - {account: '111111111111', team: a}\n  - {account: '111111111111', team: b}\n",
            3,
            "line 2",
        ),
        ("owners:\n  - account: [111\n", 3, "not valid YAML"),
        ("owner:\n  - account: '111111111111'\n", 1, "unknown key 'owner'"),
    ],
)
def test_bad_input_gets_one_line_naming_file_entry_and_field(tmp_path, text, line, reason):
    path = tmp_path / "owners.yml"
    path.write_text(text)
    with pytest.raises(owners.OwnersFileError) as raised:
        owners.load(path)
    assert [n for n, _ in raised.value.problems] == [line]
    (message,) = [m for m in str(raised.value).splitlines() if m.startswith(f"{path}:{line}: ")]
    assert reason in message


def test_the_shipped_owners_file_loads_and_a_missing_one_is_named(tmp_path):
    rules = owners.load(REPO_ROOT / "owners.yml")
    assert rules and all(len(r.account) == 12 and (r.team or r.project or r.model) for r in rules)
    with pytest.raises(owners.OwnersFileError, match=r"nowhere\.yml:0: file not found \(set OWNERS_FILE"):
        owners.load(tmp_path / "nowhere.yml")


def test_owner_rules_asset_replaces_the_table_and_refuses_a_bad_file(warehouse_path, monkeypatch, tmp_path):
    resources = {"warehouse": DuckDBResource(database=str(warehouse_path))}
    path = tmp_path / "owners.yml"
    path.write_text(GOOD)
    monkeypatch.setenv("OWNERS_FILE", str(path))
    for _ in range(2):
        assert dg.materialize([owner_rules_asset], resources=resources).success
    query = "select account_id, service_code, region, team, project, environment from raw.owner_rules order by source_line"
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        before = conn.execute(query).fetchall()
    assert before == [
        ("111111111111", None, None, "Research", None, "dev"),
        ("111111111111", "AmazonEC2", "us-east-1", None, "gpu-boxes", None),
    ]

    path.write_text(GOOD + "  - account: '111111111111'\n    team: x\n    colour: red\n")
    failed = dg.materialize([owner_rules_asset], resources=resources, raise_on_error=False)
    assert not failed.success
    failure = failed.get_step_failure_events()[0].event_specific_data.error
    assert f"{path}:11: owner rule 3: unknown field 'colour'" in str(failure.message) + str(failure.cause)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        assert conn.execute(query).fetchall() == before
