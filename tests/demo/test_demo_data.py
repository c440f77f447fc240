"""The demo catalog and the demo billing exports: deterministic, laid out like AWS, consistent across formats."""

from __future__ import annotations

import datetime as dt
import filecmp
import gzip
import json
import re
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.demo.catalog import HOUR, arn, build_catalog
from pipelines.demo.exports import write_demo_exports
from pipelines.demo.usage.sagemaker import SAGEMAKER_RATES

AS_OF = dt.date(2025, 3, 20)
ALL_FORMATS = ("cur2", "legacy", "focus")
NAME = re.compile(r"^[a-z0-9](-*[a-z0-9])*$")


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    write_demo_exports(out, seed=7, as_of=AS_OF, months=3, formats=ALL_FORMATS)
    return out


def _cur2_manifests(root: Path) -> dict[str, dict]:
    paths = sorted(root.glob("cur2/*/*/metadata/BILLING_PERIOD=*/*-Manifest.json"))
    return {p.parent.name.split("=")[1]: json.loads(p.read_text()) for p in paths}


def _local(root: Path, uri: str) -> Path:
    assert uri.startswith("s3://mlcost-demo-billing/")
    return root / uri.removeprefix("s3://mlcost-demo-billing/")


def _cur2_current(root: Path) -> duckdb.DuckDBPyConnection:
    """A connection whose view `rel` holds the current CUR 2.0 rows (the files the manifests name)."""
    files = [str(_local(root / "cur2", u)) for m in _cur2_manifests(root).values() for u in m["dataFiles"]]
    con = duckdb.connect()
    con.execute(f"create view rel as select * from read_parquet({files})")
    return con


def _period_totals(sql: str) -> dict[str, float]:
    return dict(sorted((str(p)[:7], round(c, 6)) for p, c in duckdb.sql(sql).fetchall()))


# --- catalog ---------------------------------------------------------------------------------


def test_catalog_has_the_shape_the_demo_promises(catalog):
    assert catalog.periods == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1)]
    assert catalog.data_through == dt.datetime(2025, 3, 19, tzinfo=dt.UTC)
    for account in [catalog.payer_account_id, *catalog.account_ids]:
        assert len(account) == 12 and account.startswith("0") and account.isdigit()
    assert catalog.regions == ["us-east-1", "us-west-2"]
    assert len(catalog.training_jobs) > 100
    assert 15 <= len(catalog.processing_jobs) <= 25 and 8 <= len(catalog.transform_jobs) <= 12
    assert len(catalog.notebooks) == 3 and len(catalog.models) == 6
    endpoints = catalog.endpoints
    assert sum(e.is_async for e in endpoints) == 1
    assert sum(e.deleted_at is not None for e in endpoints) == 1
    assert sum(not e.tags for e in endpoints) == 1
    assert any(e.region == "us-west-2" for e in endpoints)
    multi = [e for e in endpoints if any(len(v.model_names) > 1 for v in e.variants)]
    assert len(multi) == 1 and 2 <= len(multi[0].variants[0].model_names) <= 3
    tag_keys = {k for e in endpoints for k in e.tags}
    assert {"model", "Model", "ml-model", "team", "Team", "env", "environment"} <= tag_keys


def test_catalog_names_and_arns_are_valid_sagemaker(catalog):
    names = (
        [e.endpoint_name for e in catalog.endpoints]
        + [j.training_job_name for j in catalog.training_jobs]
        + [j.processing_job_name for j in catalog.processing_jobs]
        + [j.transform_job_name for j in catalog.transform_jobs]
        + [n.notebook_instance_name for n in catalog.notebooks]
        + [m.model_name for m in catalog.models]
    )
    assert all(NAME.match(n) and len(n) <= 63 for n in names), [n for n in names if not NAME.match(n)]
    assert len({j.training_job_name for j in catalog.training_jobs}) == len(catalog.training_jobs)
    tuning = {j.tuning_job_name for j in catalog.training_jobs if j.tuning_job_name}
    assert tuning and all(len(t) <= 32 for t in tuning)
    assert arn("endpoint", "041234567890", "us-east-1", "Churn-Prod") == (
        "arn:aws:sagemaker:us-east-1:041234567890:endpoint/churn-prod"
    )
    with pytest.raises(ValueError):
        arn("bucket", "041234567890", "us-east-1", "x")


def test_catalog_training_jobs_are_consistent(catalog):
    spot = [j for j in catalog.training_jobs if j.is_managed_spot]
    on_demand = [j for j in catalog.training_jobs if not j.is_managed_spot]
    assert spot and on_demand
    assert all(j.billable_seconds < j.training_seconds <= j.max_wait_seconds for j in spot)
    assert all(j.billable_seconds == j.training_seconds and j.max_wait_seconds is None for j in on_demand)
    for job in catalog.training_jobs:
        assert job.created_at < job.started_at < job.ended_at < catalog.data_through
        assert job.started_at + dt.timedelta(seconds=job.training_seconds) <= job.ended_at
        assert (job.status == "Completed") == bool(job.final_metrics)


def test_invocations_follow_lifetimes_and_multi_model_split_is_exact(catalog):
    deleted = next(e for e in catalog.endpoints if e.deleted_at)
    after = deleted.deleted_at.replace(minute=0) + 2 * HOUR
    assert catalog.hourly_invocations(deleted.endpoint_name, "AllTraffic", after) == 0
    assert catalog.hourly_invocations(deleted.endpoint_name, "AllTraffic", after - 48 * HOUR) > 0
    hours = [catalog.history_start + i * HOUR for i in range(0, 24 * 60, 7)]
    idle = catalog.endpoint("forecast-dev")
    counts = [
        catalog.hourly_invocations("forecast-dev", "AllTraffic", h) for h in hours if h > idle.created_at
    ]
    assert 0 in counts and max(counts) > 0
    mme = catalog.endpoint("search-mme")
    for hour in hours:
        total = catalog.hourly_invocations("search-mme", "AllTraffic", hour)
        split = [catalog.hourly_model_predictions("search-mme", m, hour) for m in mme.variants[0].model_names]
        assert sum(split) == total and min(split) >= 0
    assert build_catalog(seed=7, as_of=AS_OF).hourly_invocations("churn-prod", "AllTraffic", hours[3]) == (
        catalog.hourly_invocations("churn-prod", "AllTraffic", hours[3])
    )


# --- exports ---------------------------------------------------------------------------------


def test_exports_are_byte_identical_for_a_seed_and_differ_across_seeds(exports, tmp_path):
    again = tmp_path / "again"
    write_demo_exports(again, seed=7, as_of=AS_OF, months=3, formats=ALL_FORMATS)
    files = sorted(p.relative_to(exports) for p in exports.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert filecmp.cmp(exports / rel, again / rel, shallow=False), rel
        assert (exports / rel).stat().st_mtime == (again / rel).stat().st_mtime
    newest = max(p.stat().st_mtime for p in exports.rglob("*") if p.is_file())
    assert dt.datetime.fromtimestamp(newest, dt.UTC) < dt.datetime(2025, 3, 20, tzinfo=dt.UTC)
    other = tmp_path / "other"
    write_demo_exports(other, seed=8, as_of=AS_OF, months=3, formats=["cur2"])
    first = sorted(exports.glob("cur2/**/BILLING_PERIOD=2025-01/*/*.parquet"))[0]
    changed = sorted(other.glob("cur2/**/BILLING_PERIOD=2025-01/*/*.parquet"))[0]
    assert first.read_bytes() != changed.read_bytes()


def test_cur2_manifests_name_the_newest_execution_of_each_period(exports):
    manifests = _cur2_manifests(exports)
    assert list(manifests) == ["2025-01", "2025-02", "2025-03"]
    for period, manifest in manifests.items():
        assert manifest["billingPeriod"]["start"] == f"{period}-01T00:00:00.000Z"
        assert manifest["finalized"] is (period != "2025-03")
        assert {c["name"] for c in manifest["columns"]} >= {"line_item_unblended_cost", "resource_tags"}
        for uri in manifest["dataFiles"]:
            assert _local(exports / "cur2", uri).is_file()
    open_dir = next(exports.glob("cur2/*/*/data/BILLING_PERIOD=2025-03"))
    executions = sorted(open_dir.iterdir(), key=lambda p: p.stat().st_mtime)
    assert len(executions) == 2
    newest = _local(exports / "cur2", manifests["2025-03"]["dataFiles"][0])
    assert newest.parent == executions[-1] and manifests["2025-03"]["executionId"] == executions[-1].name
    old, new = (
        duckdb.sql(f"select count(*), sum(line_item_unblended_cost) from '{e}/*.parquet'").fetchone()
        for e in executions
    )
    assert old[0] < new[0] and old[1] < new[1]
    for period in ("2025-01", "2025-02"):
        assert len(list(next(exports.glob(f"cur2/*/*/data/BILLING_PERIOD={period}")).iterdir())) == 1


def test_legacy_layout_has_assemblies_and_period_manifests(exports):
    report = next(exports.glob("legacy/*/mlcost-demo-legacy"))
    folders = sorted(p.name for p in report.iterdir())
    assert folders == ["20250101-20250201", "20250201-20250301", "20250301-20250401"]
    for folder in folders:
        manifest = json.loads((report / folder / "mlcost-demo-legacy-Manifest.json").read_text())
        assert manifest["billingPeriod"]["start"] == f"{folder[:8]}T000000.000Z"
        assert manifest["compression"] == "GZIP" and manifest["contentType"] == "text/csv"
        assert {"category": "lineItem", "name": "UnblendedCost", "type": "OptionalString"} in manifest[
            "columns"
        ]
        for key in manifest["reportKeys"]:
            assert (exports / "legacy" / key).is_file()
        assemblies = sorted(
            (p for p in (report / folder).iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        assert manifest["assemblyId"] == assemblies[-1].name
        assert (assemblies[-1] / "mlcost-demo-legacy-Manifest.json").is_file()
        assert len(assemblies) == (2 if folder.startswith("202503") else 1)
        with gzip.open(assemblies[-1] / "mlcost-demo-legacy-1.csv.gz", "rt") as csv:
            header = csv.readline().rstrip("\n").split(",")
        assert header == [f"{c['category']}/{c['name']}" for c in manifest["columns"]]
        assert {"resourceTags/user:model", "resourceTags/user:Model", "resourceTags/user:team"} <= set(header)


def test_bill_carries_every_pattern_the_demo_promises(exports, catalog):
    con = _cur2_current(exports)
    usage_types = {r[0] for r in con.sql("select distinct line_item_usage_type from rel").fetchall()}
    for pattern in (
        r"^USE1-Train:ml\.p3\.2xlarge$",
        r"^USE1-TrSpt:ml\.",
        r"^USE1-Host:ml\.m5\.",
        r"^USE1-AsyncInf:|^USW2-AsyncInf:",
        r"^USE1-Tsform:ml\.",
        r"^USE1-Processing:ml\.m5\.xlarge$",
        r"^USE1-Notebk:ml\.t3\.medium$",
        r"^USE1-Studio:",
        r"^USE1-Host:VolumeUsage\.gp2$",
        r"^USE1-Train:VolumeUsage\.gp2$",
        r"^USW2-",
        r"^TimedStorage-ByteHrs$",
        r"^DataTransfer-Out-Bytes$",
        r"^BoxUsage:g5\.xlarge$",
    ):
        assert any(re.search(pattern, u) for u in usage_types), pattern
    types = {r[0] for r in con.sql("select distinct line_item_line_item_type from rel").fetchall()}
    assert types == {
        "Usage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "DiscountedUsage",
        "RIFee",
        "Credit",
        "Tax",
        "Refund",
    }
    keys = {r[0] for r in con.sql("select distinct unnest(map_keys(resource_tags)) from rel").fetchall()}
    assert {
        "user_model",
        "user_Model",
        "user_ml-model",
        "user_team",
        "user_TEAM",
        "user_env",
        "user_environment",
        "user_project",
    } <= keys
    untagged = con.sql(
        "select count(*) from rel where line_item_line_item_type = 'Usage' and cardinality(resource_tags) = 0"
    ).fetchone()[0]
    assert untagged > 0
    accounts = con.sql("select distinct line_item_usage_account_id, typeof(bill_payer_account_id) from rel")
    assert all(a.startswith("0") and len(a) == 12 and t == "VARCHAR" for a, t in accounts.fetchall())
    sagemaker_ids = {
        r[0]
        for r in con.sql(
            "select distinct line_item_resource_id from rel where line_item_resource_id like 'arn:aws:sagemaker:%'"
            " and line_item_resource_id not like '%:app/%'"
        ).fetchall()
    }
    known = (
        {e.arn for e in catalog.endpoints}
        | {j.arn for j in catalog.training_jobs}
        | {j.arn for j in catalog.processing_jobs}
        | {j.arn for j in catalog.transform_jobs}
        | {n.arn for n in catalog.notebooks}
    )
    assert sagemaker_ids and sagemaker_ids <= known
    dupes = con.sql(
        "select count(*) - count(distinct (identity_line_item_id, identity_time_interval)) from rel"
    ).fetchone()[0]
    assert dupes == 0


def test_usage_amounts_match_the_catalog(exports, catalog):
    con = _cur2_current(exports)
    job = next(j for j in catalog.training_jobs if j.is_managed_spot and j.status == "Completed")
    amount, cost = con.sql(
        "select sum(line_item_usage_amount), sum(line_item_unblended_cost) from rel "
        "where line_item_resource_id = $id and line_item_usage_type like '%TrSpt:%'",
        params={"id": job.arn},
    ).fetchone()
    expected_hours = job.billable_seconds / 3600 * job.instance_count
    assert amount == pytest.approx(expected_hours, abs=1e-6)
    assert cost == pytest.approx(expected_hours * SAGEMAKER_RATES[job.instance_type], abs=1e-5)
    churn = catalog.endpoint("churn-prod")
    hours = con.sql(
        "select sum(line_item_usage_amount) from rel where line_item_resource_id = $id "
        "and line_item_usage_type = 'USE1-Host:ml.c5.2xlarge' and bill_billing_period_start_date = '2025-01-01'"
        " and line_item_line_item_type = 'SavingsPlanCoveredUsage'",
        params={"id": churn.arn},
    ).fetchone()[0]
    assert hours == pytest.approx(31 * 24 * churn.variants[0].instance_count)


def test_savings_plan_and_reservation_rows_amortize_sensibly(exports):
    con = _cur2_current(exports)
    rows = con.sql(
        """
        select
            bill_billing_period_start_date::date as period,
            sum(line_item_unblended_cost) filter (line_item_line_item_type = 'SavingsPlanCoveredUsage') as covered,
            sum(savings_plan_savings_plan_effective_cost)
                filter (line_item_line_item_type = 'SavingsPlanCoveredUsage') as effective,
            sum(line_item_unblended_cost) filter (line_item_line_item_type = 'SavingsPlanNegation') as negated,
            max(savings_plan_used_commitment) filter (line_item_line_item_type = 'SavingsPlanRecurringFee') as used,
            max(savings_plan_total_commitment_to_date)
                filter (line_item_line_item_type = 'SavingsPlanRecurringFee') as total,
            sum(line_item_unblended_cost) filter (line_item_line_item_type = 'DiscountedUsage') as ri_unblended,
            sum(reservation_effective_cost) filter (line_item_line_item_type = 'DiscountedUsage') as ri_effective
        from rel group by 1 order by 1
        """
    ).fetchall()
    assert len(rows) == 3
    for _, covered, effective, negated, used, total, ri_unblended, ri_effective in rows:
        assert 0 < effective < covered
        assert negated == pytest.approx(-covered)
        assert used == pytest.approx(effective) and 0 < used <= total
        assert ri_unblended == 0 and ri_effective > 0


def test_all_formats_agree_on_period_totals(exports):
    cur2 = [
        str(_local(exports / "cur2", u)) for m in _cur2_manifests(exports).values() for u in m["dataFiles"]
    ]
    cur2_totals = _period_totals(
        f"select bill_billing_period_start_date, sum(line_item_unblended_cost) from read_parquet({cur2}) group by 1"
    )
    legacy = []
    for manifest in sorted(exports.glob("legacy/*/*/*/mlcost-demo-legacy-Manifest.json")):
        legacy += [str(exports / "legacy" / k) for k in json.loads(manifest.read_text())["reportKeys"]]
    legacy_totals = _period_totals(
        f"""select "bill/BillingPeriodStartDate", sum("lineItem/UnblendedCost"::double)
        from read_csv({legacy}, all_varchar = true) group by 1"""
    )
    focus = sorted(str(p) for p in exports.glob("focus/**/*.parquet"))
    focus_totals = _period_totals(
        f"select BillingPeriodStart, sum(BilledCost) from read_parquet({focus}) group by 1"
    )
    assert list(cur2_totals) == ["2025-01", "2025-02", "2025-03"]
    assert cur2_totals == legacy_totals == focus_totals
    # FOCUS EffectiveCost is the amortized cost by the per-line-item-type rules of issue 2.
    amortized = _period_totals(
        f"""select bill_billing_period_start_date, sum(case line_item_line_item_type
            when 'SavingsPlanCoveredUsage' then savings_plan_savings_plan_effective_cost
            when 'SavingsPlanNegation' then 0
            when 'SavingsPlanRecurringFee' then savings_plan_total_commitment_to_date - savings_plan_used_commitment
            when 'DiscountedUsage' then reservation_effective_cost
            when 'RIFee' then reservation_unused_amortized_upfront_fee_for_billing_period
                + reservation_unused_recurring_fee
            else line_item_unblended_cost end)
        from read_parquet({cur2}) group by 1"""
    )
    assert amortized == _period_totals(
        f"select BillingPeriodStart, sum(EffectiveCost) from read_parquet({focus}) group by 1"
    )
    assert amortized["2025-01"] == pytest.approx(cur2_totals["2025-01"])  # a closed month amortizes fully
    tags = duckdb.sql(f"select Tags from read_parquet({focus}) where Tags like '%Model%' limit 1").fetchone()[
        0
    ]
    assert json.loads(tags)["Model"]


def test_monthly_totals_fit_a_mid_size_team_and_the_open_month_runs_over_budget(exports):
    con = _cur2_current(exports)
    by_period = dict(
        con.sql(
            "select strftime(bill_billing_period_start_date, '%Y-%m'), sum(line_item_unblended_cost) from rel group by 1"
        ).fetchall()
    )
    assert 15_000 <= by_period["2025-01"] <= 30_000
    assert 13_000 <= by_period["2025-02"] <= 30_000
    days_billed = 18  # March 1-18: data_through is midnight of the 19th
    assert by_period["2025-03"] / days_billed * 31 > 25_000


def test_rows_scales_one_cur2_month_to_the_exact_count(tmp_path):
    summary = write_demo_exports(tmp_path, seed=7, as_of=AS_OF, months=3, formats=["cur2"], rows=50_000)[
        "cur2"
    ]
    manifest = _cur2_manifests(tmp_path)["2025-02"]
    files = [str(_local(tmp_path / "cur2", u)) for u in manifest["dataFiles"]]
    assert len(files) == 2
    count, cost = duckdb.sql(
        f"select count(*), sum(line_item_unblended_cost) from read_parquet({files})"
    ).fetchone()
    assert count == 50_000 == summary.rows_by_period["2025-02"]
    assert cost == pytest.approx(summary.cost_by_period["2025-02"], abs=1e-4)
    with pytest.raises(ValueError, match="at least"):
        write_demo_exports(tmp_path / "small", seed=7, as_of=AS_OF, formats=["cur2"], rows=10)
    assert not (tmp_path / "small").exists()  # checked before anything is written


def test_cli_writes_exports_and_prints_one_line_per_format(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["demo-data", str(out), "--as-of", "2025-03-20", "--formats", "cur2,focus"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["cur2", "focus"]
    assert "3 periods (2025-01..2025-03)" in lines[0] and "unblended" in lines[0]
    assert (out / "focus").is_dir() and not (out / "legacy").exists()
    assert main(["demo-data", str(tmp_path / "bad"), "--as-of", "2025-03-20", "--rows", "3"]) == 2


@pytest.mark.parametrize("as_of", [dt.date(2026, 2, 5), dt.date(2026, 11, 24)])
def test_open_month_overshoots_the_demo_budgets_from_the_fifth(tmp_path, as_of):
    write_demo_exports(tmp_path, seed=7, as_of=as_of, formats=["cur2"])
    con = _cur2_current(tmp_path)
    model = (
        "coalesce(resource_tags['user_model'], resource_tags['user_Model'], resource_tags['user_ml-model'])"
    )
    embeddings, total = con.sql(
        f"""select
            sum(line_item_unblended_cost) filter ({model} = 'embeddings'
                and line_item_line_item_type = 'Usage'),
            sum(line_item_unblended_cost)
        from rel where bill_billing_period_start_date = $open""",
        params={"open": as_of.replace(day=1)},
    ).fetchone()
    days_billed = as_of.day - 2  # data_through is midnight of the day before as_of
    assert embeddings > 6_000
    assert total / days_billed * 28 > 25_000


def test_planted_spikes_add_exactly_their_ground_truth_to_the_bill(exports, tmp_path, capsys):
    out = tmp_path / "planted"
    assert main(["demo-data", str(out), "--as-of", "2025-03-20", "--anomalies"]) == 0
    truth = json.loads((out / "planted_anomalies.json").read_text())
    daily = """
        select
            cast(line_item_usage_start_date as date) as usage_date,
            line_item_resource_id as resource_id,
            line_item_usage_type as usage_type,
            sum(line_item_unblended_cost) as cost
        from rel
        where line_item_line_item_type <> 'Tax'  -- tax follows usage, spikes included
        group by all
    """
    with _cur2_current(exports) as plain, _cur2_current(out) as planted:
        before = {r[:3]: r[3] for r in plain.sql(daily).fetchall()}
        after = {r[:3]: r[3] for r in planted.sql(daily).fetchall()}
    added = {key: round(cost - before.get(key, 0), 6) for key, cost in after.items()}
    added = {key: cost for key, cost in added.items() if cost}
    # Every dollar the spikes add is in the ground truth, on its day, resource and usage type.
    assert added == {
        (dt.date.fromisoformat(s["usage_date"]), s["resource_id"], s["usage_type"]): round(s["extra_cost"], 6)
        for s in truth
    }
    # Five weeks into a bill as of 2025-03-20 (data through the 18th), 8 to 10 days apart, the last
    # on the last complete day; each kind in turn, each at least $60.
    days = [dt.date.fromisoformat(s["usage_date"]) for s in truth]
    assert days[-1] == dt.date(2025, 3, 18) and days[0] >= dt.date(2025, 2, 12)
    assert all(8 <= (later - earlier).days <= 10 for earlier, later in zip(days, days[1:], strict=False))
    kinds = ["endpoint_scale_out", "forgotten_gpu_box", "data_transfer_burst", "notebook_left_running"]
    assert [s["kind"] for s in truth] == [kinds[i % 4] for i in range(len(truth))]
    assert all(s["extra_cost"] >= 60 for s in truth)


def test_hourly_granularity_bills_the_same_amounts_hour_by_hour(exports, tmp_path, capsys):
    """`--granularity hourly` writes one usage line per resource and hour, like an hourly CUR 2.0
    export, with the same cost per day as the daily export (to the cent) and the same month-level rows."""
    assert main(["demo-data", str(tmp_path), "--as-of", AS_OF.isoformat(), "--granularity", "hourly"]) == 0
    assert "cur2: 3 periods" in capsys.readouterr().out
    per_day = (
        "select cast(line_item_usage_start_date as date) as day, line_item_line_item_type,"
        " round(sum(line_item_unblended_cost), 2), count(*) from rel group by all"
    )
    daily = {(d, t): (c, n) for d, t, c, n in _cur2_current(exports).sql(per_day).fetchall()}
    hourly_con = _cur2_current(tmp_path)
    hourly = {(d, t): (c, n) for d, t, c, n in hourly_con.sql(per_day).fetchall()}
    assert daily.keys() == hourly.keys()
    assert all(hourly[k][0] == daily[k][0] for k in daily)
    assert sum(n for _, n in hourly.values()) > 10 * sum(n for _, n in daily.values())
    spans = hourly_con.sql(
        "select distinct line_item_usage_end_date - line_item_usage_start_date from rel"
        " where line_item_line_item_type = 'Usage'"
    ).fetchall()
    assert spans == [(dt.timedelta(hours=1),)]
