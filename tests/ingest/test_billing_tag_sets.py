"""Line items hold their tag set's id; raw.billing_tag_sets holds each distinct set once. Loading again
adds nothing, a warehouse made with two maps on every line is moved to tag sets as a fresh load would
land them, and one id for two sets (a hash collision) stops the load."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import sql
from pipelines.lib.billing import BillingInputError
from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store
from pipelines.lib.warehouse import ensure_raw_tables
from tests.ingest.billing_helpers import FIXTURES

# Tags with `user_` prefixes and several spellings of one key (Athena-style CUR 2.0 Parquet).
TAGGED = FIXTURES / "athena_parquet"
LINES_WITH_TAGS = (
    "select line_item_id, billing_period, effective_cost, tag_set_id, tags, tags_original "
    "from raw.billing_line_items join raw.billing_tag_sets using (tag_set_id) order by all"
)


def _load(uri: Path, warehouse: Path, force: bool = False) -> None:
    store = open_store(str(uri))
    with duckdb.connect(str(warehouse)) as conn:
        for period in discover(store).periods.values():
            load_period(conn, store, period, force=force)


def _rows(warehouse: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.execute(query).fetchall()


def test_each_line_holds_its_sets_id_and_each_set_is_stored_once(warehouse_path):
    _load(TAGGED, warehouse_path)
    lines = _rows(warehouse_path, LINES_WITH_TAGS)
    (line_count,) = _rows(warehouse_path, "select count(*) from raw.billing_line_items")[0]
    assert len(lines) == line_count > 0  # every line found its set
    sets = _rows(warehouse_path, "select tag_set_id, tags_original, tags from raw.billing_tag_sets")
    assert len(sets) == len({s[0] for s in sets}) == len({str(s[1]) for s in sets}) > 1
    assert any(k.startswith("user_") for s in sets for k in s[1])
    assert all(k == k.lower() and not k.startswith("user") for s in sets for k in s[2])
    # The id is the one ingest's macro gives the original set, so any load of the same set agrees.
    with duckdb.connect(str(warehouse_path)) as conn:
        conn.execute("create temp macro h(m) as cast(hash(m) >> 1 as bigint)")
        assert conn.execute(
            "select count(*) from raw.billing_tag_sets where tag_set_id <> h(tags_original)"
        ).fetchone() == (0,)

    _load(TAGGED, warehouse_path, force=True)  # loaded again: the same lines, no new set
    assert _rows(warehouse_path, LINES_WITH_TAGS) == lines
    assert sorted(_rows(warehouse_path, "select tag_set_id from raw.billing_tag_sets")) == sorted(
        (s[0],) for s in sets
    )


def test_a_warehouse_with_two_maps_on_every_line_is_moved_to_tag_sets(tmp_path, warehouse_path):
    _load(TAGGED, warehouse_path)
    expected = _rows(warehouse_path, LINES_WITH_TAGS)
    old = tmp_path / "old.duckdb"
    # The layout before tag sets: the same DDL with the two maps in place of the id.
    ddl = sql.load("ingest/create_billing_line_items")
    assert "tag_set_id bigint not null," in ddl
    with duckdb.connect(str(old)) as conn:
        conn.execute(sql.load("ingest/create_schema_raw"))
        conn.execute(
            ddl.replace(
                "tag_set_id bigint not null,",
                "tags map(varchar, varchar), tags_original map(varchar, varchar),",
            )
        )
        conn.execute(f"attach '{warehouse_path}' as new (read_only)")
        conn.execute(
            "insert into raw.billing_line_items by name select l.* exclude (tag_set_id), s.tags, s.tags_original "
            "from new.raw.billing_line_items l join new.raw.billing_tag_sets s using (tag_set_id)"
        )
        # Lines landed before tags_original existed: their normalized tags stand for the original.
        (moved, tags) = conn.execute(
            "select tag_set_id, tags from new.raw.billing_tag_sets where tags <> tags_original order by tag_set_id limit 1"
        ).fetchone()
        conn.execute(
            "update raw.billing_line_items set tags_original = null where tags_original = "
            "(select tags_original from new.raw.billing_tag_sets where tag_set_id = $id)",
            {"id": moved},
        )
        (new_id,) = conn.execute(
            "select cast(hash($t::map(varchar, varchar)) >> 1 as bigint)", {"t": tags}
        ).fetchone()
        conn.execute("detach new")
        ensure_raw_tables(conn)
        ensure_raw_tables(conn)  # once moved, nothing more to do
        columns = {
            c
            for (c,) in conn.execute(
                "select column_name from information_schema.columns where table_name = 'billing_line_items'"
            ).fetchall()
        }
        assert "tag_set_id" in columns and not columns & {"tags", "tags_original"}
        assert not conn.execute(
            "select * from information_schema.tables where table_name = 'billing_line_items_before_tag_sets'"
        ).fetchall()
    got = _rows(old, LINES_WITH_TAGS)
    # As a fresh load landed them (ids, tags, costs), but the moved lines' original is their tags.
    want = [e if e[3] != moved else (*e[:3], new_id, e[4], e[4]) for e in expected]
    assert any(e[3] == moved for e in expected)
    assert sorted(map(str, got)) == sorted(map(str, want))
    assert _rows(old, "select count(*) from raw.billing_tag_sets where tags_original is null") == [(0,)]


def test_one_id_for_two_tag_sets_stops_the_load_and_changes_nothing(tmp_path, warehouse_path):
    exports = tmp_path / "exports"
    shutil.copytree(TAGGED, exports)
    _load(exports, warehouse_path)
    store = open_store(str(exports))
    period = next(iter(discover(store).periods.values()))
    # A stored set under an id that the period's own sets get, with other tags: a collision.
    with duckdb.connect(str(warehouse_path)) as conn:
        (tag_set_id,) = conn.execute(
            "select max(tag_set_id) from raw.billing_line_items where billing_period = $p",
            {"p": period.billing_period},
        ).fetchone()
        conn.execute(
            "update raw.billing_tag_sets set tags_original = map {'collides': 'yes'} where tag_set_id = $id",
            {"id": tag_set_id},
        )
        before = conn.execute(LINES_WITH_TAGS).fetchall()
    with duckdb.connect(str(warehouse_path)) as conn, pytest.raises(BillingInputError) as failure:
        load_period(conn, store, period, force=True)
    assert f"different tag sets hash to the id {tag_set_id}" in str(failure.value)
    assert "the period was not changed" in str(failure.value)
    assert _rows(warehouse_path, LINES_WITH_TAGS) == before


def test_a_collision_while_moving_an_old_warehouse_leaves_it_as_it_was(tmp_path):
    old = tmp_path / "old.duckdb"
    ddl = sql.load("ingest/create_billing_line_items").replace(
        "tag_set_id bigint not null,", "tags map(varchar, varchar), tags_original map(varchar, varchar),"
    )
    with duckdb.connect(str(old)) as conn:
        conn.execute(sql.load("ingest/create_schema_raw"))
        conn.execute(ddl)
        conn.execute(sql.load("ingest/create_billing_tag_sets"))
        conn.execute(
            "insert into raw.billing_line_items (billing_period, billed_cost, effective_cost, "
            "is_split_cost_allocation, tags, tags_original, source_format, source_file, ingested_at) "
            "values (date '2025-01-01', 2.5, 2.5, false, map {'team': 'a'}, map {'Team': 'a'}, 'cur2', 'f', now())"
        )
        # A stored set under the id the old line's set gets, with other tags.
        conn.execute(
            "insert into raw.billing_tag_sets select cast(hash(map {'Team': 'a'}) >> 1 as bigint), "
            "map {'other': 'x'}, map {'other': 'x'}"
        )
        with pytest.raises(BillingInputError) as failure:
            ensure_raw_tables(conn)
        assert "different tag sets hash to the id" in str(failure.value)
        assert "the warehouse was not changed" in str(failure.value)
        assert conn.execute(
            "select billed_cost, tags, tags_original from raw.billing_line_items"
        ).fetchall() == [(2.5, {"team": "a"}, {"Team": "a"})]
        assert conn.execute("select count(*) from raw.billing_tag_sets").fetchone() == (1,)
