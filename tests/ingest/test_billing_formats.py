"""Every readable sample export lands with totals equal to a direct computation from its files."""

from __future__ import annotations

import os
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.lib.billing.discovery import discover
from pipelines.lib.billing.load import load_period
from pipelines.lib.billing.store import open_store
from tests.ingest.billing_helpers import FIXTURES, file_total, materialize, warehouse_totals

CENT = Decimal("0.01")
# Two FOCUS spec examples hold an impossible time (`2023-02-01T30:00:00Z`): strict parsing fails their
# period, naming the line (tests/ingest/test_billing_faults.py); the other examples load.
FOCUS_TYPOS = ("commitment_discount_purchase_scenario_2.csv", "commitment_discount_purchase_scenario_3.csv")


def fixture_folder(name: str, tmp_path: Path) -> Path:
    if name != "focus":
        return FIXTURES / name
    folder = tmp_path / "focus"
    shutil.copytree(FIXTURES / "focus", folder, ignore=shutil.ignore_patterns(*FOCUS_TYPOS))
    return folder


def load_all(uri: Path, warehouse: Path) -> dict[str, int]:
    store = open_store(str(uri))
    discovery = discover(store)
    with duckdb.connect(str(warehouse)) as conn:
        return {
            key: load_period(conn, store, p).row_count
            for key, p in ((p.partition_key, p) for p in discovery.periods.values())
        }


@pytest.mark.parametrize(
    ("fixture", "files", "column", "reader", "periods"),
    [
        ("cur_legacy_minimal", ["sample-legacy-csv.csv"], "lineItem/UnblendedCost", "csv", ["2025-01-01"]),
        ("cur2_minimal", ["sample-cur20.csv"], "line_item_unblended_cost", "csv", ["2025-01-01"]),
        ("cur2_fivetran", ["aws_cost_report.csv"], "line_item_unblended_cost", "csv", ["2024-04-01"]),
        ("focus", None, "BilledCost", "csv", ["2023-01-01"]),
        ("focus_1_2", None, "BilledCost", "csv", ["2025-05-01"]),
        ("athena_parquet", None, "line_item_unblended_cost", "parquet", ["2018-12-01"]),
        ("koku_loose", None, "lineItem/UnblendedCost", "csv", ["2022-07-01", "2023-06-01"]),
    ],
)
def test_loose_export_totals_equal_the_files(
    fixture, files, column, reader, periods, warehouse_path, tmp_path
):
    folder = fixture_folder(fixture, tmp_path)
    paths = (
        [folder / f for f in files]
        if files
        else sorted(p for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
    )
    if fixture == "koku_loose":
        # The alt-columns file uses Athena names; compute each file with its own column name.
        rows_a, total_a = file_total([folder / "2022-07-01-alt-columns.csv"], "line_item_unblended_cost")
        rows_b, total_b = file_total([folder / "2023-06-01.csv"], column)
        expected_rows, expected = rows_a + rows_b, total_a + total_b
    else:
        expected_rows, expected = file_total(paths, column, reader)
    loaded = load_all(folder, warehouse_path)
    assert sorted(loaded) == periods
    rows, billed, _ = warehouse_totals(warehouse_path)
    assert rows == expected_rows
    assert billed.quantize(CENT) == expected.quantize(CENT)
    assert abs(billed - expected) < Decimal("0.000001")


def test_focus_effective_cost_is_taken_as_given(warehouse_path, tmp_path):
    folder = fixture_folder("focus", tmp_path)
    _, expected_effective = file_total(sorted(folder.glob("*.csv")), "EffectiveCost")
    load_all(folder, warehouse_path)
    _, billed, effective = warehouse_totals(warehouse_path)
    assert effective == expected_effective
    assert billed != effective  # commitment purchases are billed, amortized to usage


def test_focus_1_2_from_aws_keeps_the_columns_the_marts_need(warehouse_path):
    """AWS's FOCUS 1.2 export (with its x_ columns): amortized cost as given, no net basis (NULL),
    the invoice, pricing currency, pricing category and the commitment split into its ARN column."""
    folder = FIXTURES / "focus_1_2"
    _, expected_effective = file_total(sorted(folder.glob("*.csv")), "EffectiveCost")
    load_all(folder, warehouse_path)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = conn.execute(
            "select usage_type, service_code, operation, effective_cost, net_effective_cost, invoice_id, "
            "pricing_currency, pricing_term, savings_plan_arn, reservation_arn, tags "
            "from raw.billing_line_items join raw.billing_tag_sets using (tag_set_id) order by billed_cost desc"
        ).fetchall()
        assert (
            conn.execute("select sum(effective_cost) from raw.billing_line_items").fetchone()[0]
            == expected_effective
        )
    assert {r[0] for r in rows} >= {"BoxUsage:p5.48xlarge", "USE1-Claude-InputTokenCount"}
    fee, p5 = rows[0], rows[1]
    assert fee[3] == Decimal("36.92") and fee[8].endswith("savingsplan/7d1f0c2e-0000-4000-8000-000000000001")
    assert p5[1:3] == ("AmazonEC2", "RunInstances") and p5[3] == Decimal("61.40")
    assert p5[5:10] == ("EUINUS25-0001", "USD", "Committed", fee[8], None)
    assert p5[10] == {"ml-model": "embeddings"}
    assert all(r[4] is None for r in rows)  # one amortized basis in FOCUS: net stays unknown


def test_legacy_zip_with_manifest(warehouse_path, tmp_path):
    folder = FIXTURES / "cur_legacy_zip"
    archive = next(folder.rglob("*.csv.zip"))
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path / "unzipped")
    expected_rows, expected = file_total(
        sorted((tmp_path / "unzipped").glob("*.csv")), "lineItem/UnblendedCost"
    )
    store = open_store(str(folder))
    period = discover(store).period("2024-01-01")
    assert period.export_version == "123e4567-e89b-12d3-a456-426614174000"
    with duckdb.connect(str(warehouse_path)) as conn:
        result = load_period(conn, store, period)
    assert (result.row_count, result.billed_cost) == (expected_rows, expected)


def test_cur2_data_exports_layout_with_manifest(warehouse_path):
    folder = FIXTURES / "cur2_csv_gz"
    data = sorted(folder.rglob("*.csv.gz"))
    expected_rows, expected = file_total(data, "line_item_unblended_cost")
    load_all(folder, warehouse_path)
    rows, billed, effective = warehouse_totals(warehouse_path, "2024-09-01")
    assert (rows, billed) == (expected_rows, expected)
    assert effective == billed  # plain usage: amortized equals unblended
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        version, fmt, account = conn.execute(
            "select distinct export_version, source_format, billing_account_id from raw.billing_line_items"
        ).fetchone()
    assert (version, fmt, account) == ("test-exec-id-12345", "cur2", "123456789012")


def test_legacy_s3_layout_manifest_keys_resolve_in_a_mirrored_folder(warehouse_path):
    # Manifest keys are bucket keys ("my-prefix/my-report/...") while CUR_EXPORT_URI points at a folder
    # above the mirrored bucket: the key still resolves, and the period-level manifest decides.
    folder = FIXTURES / "koku_s3_layout"
    data = sorted(folder.rglob("*.csv.gz"))
    expected_rows, expected = file_total(data, "lineItem/UnblendedCost")
    assert load_all(folder, warehouse_path) == {"2018-08-01": expected_rows}
    rows, billed, _ = warehouse_totals(warehouse_path)
    assert (rows, billed.quantize(CENT)) == (expected_rows, expected.quantize(CENT))


def test_manifest_period_decides_when_rows_disagree(warehouse_path, monkeypatch):
    # koku-local: manifest says 2018-08, its rows are from 2018-06. The manifest decides the partition;
    # the asset check reports the rows charged outside the period as a warning.
    folder = FIXTURES / "koku_manifest_mismatch"
    monkeypatch.setenv("CUR_EXPORT_URI", str(folder))
    with dg.instance_for_test() as instance:
        result = materialize(instance, warehouse_path, "2018-08-01")
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert checks["rows_present"].passed
    assert checks["no_null_costs"].passed
    assert not checks["rows_in_partition_period"].passed
    assert checks["rows_in_partition_period"].severity == dg.AssetCheckSeverity.WARN
    _, expected = file_total(sorted(folder.rglob("*.csv.gz")), "lineItem/UnblendedCost")
    assert warehouse_totals(warehouse_path, "2018-08-01")[1].quantize(CENT) == expected.quantize(CENT)


def test_tags_are_normalized_and_originals_kept(warehouse_path):
    load_all(FIXTURES / "athena_parquet", warehouse_path)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        tags, original = conn.execute(
            "select tags, tags_original from raw.billing_line_items join raw.billing_tag_sets using (tag_set_id) where cardinality(tags) > 2 limit 1"
        ).fetchone()
    assert all(k == k.lower() and not k.startswith("user") for k in tags)
    assert any(k.startswith("user_") for k in original)
    assert set(tags.values()) <= set(original.values())


def test_overlapping_loose_files_keep_each_line_item_once_from_the_newest(tmp_path, warehouse_path):
    folder = tmp_path / "loose"
    shutil.copytree(FIXTURES / "koku_not_final", folder)
    os.utime(folder / "2023-06-01-not-final.csv", (1_700_000_000, 1_700_000_000))
    os.utime(folder / "2023-06-01.csv", (1_700_100_000, 1_700_100_000))
    rows_final, total_final = file_total([folder / "2023-06-01.csv"], "lineItem/UnblendedCost")
    assert load_all(folder, warehouse_path) == {"2023-06-01": rows_final}
    assert warehouse_totals(warehouse_path)[:2] == (rows_final, total_final)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        sources = conn.execute("select distinct source_file from raw.billing_line_items").fetchall()
    assert [Path(s).name for (s,) in sources] == ["2023-06-01.csv"]


AMORTIZATION_CSV = """\
identity/LineItemId,identity/TimeInterval,bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,\
lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,\
lineItem/Operation,lineItem/ResourceId,lineItem/UnblendedCost,savingsPlan/SavingsPlanEffectiveCost,\
savingsPlan/TotalCommitmentToDate,savingsPlan/UsedCommitment,reservation/ReservationARN,\
reservation/EffectiveCost,reservation/UnusedAmortizedUpfrontFeeForBillingPeriod,reservation/UnusedRecurringFee,\
resourceTags/user:Model,resourceTags/user:model
a,2025-03-01T00:00:00Z/2025-03-01T01:00:00Z,012345678901,2025-03-01T00:00:00Z,000011112222,Usage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonSageMaker,USE1-Host:ml.m5.xlarge,RunInstance,arn:aws:sagemaker:us-east-1:000011112222:endpoint/churn,1.5,,,,,,,,churn,
b,2025-03-01T00:00:00Z/2025-03-01T01:00:00Z,012345678901,2025-03-01T00:00:00Z,000011112222,SavingsPlanCoveredUsage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonSageMaker,USE1-Train:ml.p3.2xlarge,RunInstance,arn:aws:sagemaker:us-east-1:000011112222:training-job/t1,3.825,2.5,,,,,,,,fraud
c,2025-03-01T00:00:00Z/2025-03-01T01:00:00Z,012345678901,2025-03-01T00:00:00Z,000011112222,SavingsPlanNegation,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonSageMaker,USE1-Train:ml.p3.2xlarge,RunInstance,arn:aws:sagemaker:us-east-1:000011112222:training-job/t1,-3.825,,,,,,,,,
d,2025-03-01T00:00:00Z/2025-04-01T00:00:00Z,012345678901,2025-03-01T00:00:00Z,012345678901,SavingsPlanRecurringFee,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,ComputeSavingsPlans,ComputeSP:1yrNoUpfront,,,100,,100,60,,,,,,
e,2025-03-01T00:00:00Z/2025-03-01T01:00:00Z,012345678901,2025-03-01T00:00:00Z,000011112222,DiscountedUsage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonEC2,BoxUsage:g5.xlarge,RunInstances,i-1,0,,,,arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1,0.6,,,,
f,2025-03-01T00:00:00Z/2025-04-01T00:00:00Z,012345678901,2025-03-01T00:00:00Z,012345678901,RIFee,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,AmazonEC2,HeavyUsage:g5.xlarge,RunInstances,,50,,,,arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1,,4,6,,
g,2025-03-01T00:00:00Z/2025-04-01T00:00:00Z,012345678901,2025-03-01T00:00:00Z,012345678901,Fee,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,AmazonEC2,HeavyUsage:g5.xlarge,RunInstances,,1000,,,,arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1,,,,,
h,2025-03-01T00:00:00Z/2025-04-01T00:00:00Z,012345678901,2025-03-01T00:00:00Z,012345678901,Credit,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,AmazonSageMaker,,,,-7.0E-1,,,,,,,,,
i,2025-03-01T00:00:00Z/2025-04-01T00:00:00Z,012345678901,2025-03-01T00:00:00Z,012345678901,Tax,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,AmazonSageMaker,,,,2.25,,,,,,,,,
j,2025-03-01T00:00:00Z/2025-03-01T01:00:00Z,012345678901,2025-03-01T00:00:00Z,000011112222,Usage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonEC2,USE1-EKSPod-EC2,EKSPod-EC2,i-2,0.4,,,,,,,,,
"""


def test_amortized_cost_follows_the_line_item_type_rules(tmp_path, warehouse_path):
    folder = tmp_path / "cur"
    folder.mkdir()
    (folder / "march.csv").write_text(AMORTIZATION_CSV)
    load_all(folder, warehouse_path)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "select line_item_id, charge_type, billed_cost, effective_cost, is_split_cost_allocation, tags, "
                "billing_account_id, sub_account_id from raw.billing_line_items join raw.billing_tag_sets using (tag_set_id)"
            ).fetchall()
        }
    effective = {k: v[2] for k, v in rows.items()}
    assert effective == {
        "a": Decimal("1.5"),  # Usage: unblended
        "b": Decimal("2.5"),  # SavingsPlanCoveredUsage: SP effective cost
        "c": Decimal("0"),  # SavingsPlanNegation: 0
        "d": Decimal("40"),  # SavingsPlanRecurringFee: commitment to date - used (unused part)
        "e": Decimal("0.6"),  # DiscountedUsage: reservation effective cost
        "f": Decimal("10"),  # RIFee: unused amortized upfront + unused recurring
        "g": Decimal("0"),  # Fee with a reservation ARN: the upfront payment is amortized elsewhere
        "h": Decimal("-0.7"),  # Credit (scientific notation): unblended
        "i": Decimal("2.25"),  # Tax: unblended
        "j": Decimal("0.4"),
    }
    assert rows["j"][3] is True and not any(v[3] for k, v in rows.items() if k != "j")
    assert rows["a"][4] == {"model": "churn"} and rows["b"][4] == {"model": "fraud"}
    assert (rows["a"][5], rows["a"][6]) == ("012345678901", "000011112222")  # leading zeros kept


# An account with a 10% private discount: net columns present (legacy CUR names), analyst columns too.
NET_CSV = """\
identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,bill/InvoiceId,lineItem/UsageAccountId,\
lineItem/LineItemType,lineItem/UsageStartDate,lineItem/UsageEndDate,lineItem/ProductCode,lineItem/UsageType,\
lineItem/LineItemDescription,lineItem/UnblendedCost,lineItem/NetUnblendedCost,product/productFamily,\
product/instanceType,product/instanceFamily,pricing/term,pricing/currency,savingsPlan/SavingsPlanARN,\
savingsPlan/SavingsPlanEffectiveCost,savingsPlan/NetSavingsPlanEffectiveCost,savingsPlan/TotalCommitmentToDate,\
savingsPlan/UsedCommitment,reservation/ReservationARN,reservation/EffectiveCost,reservation/NetEffectiveCost,\
reservation/UnusedAmortizedUpfrontFeeForBillingPeriod,reservation/NetUnusedAmortizedUpfrontFeeForBillingPeriod,\
reservation/UnusedRecurringFee,reservation/NetUnusedRecurringFee
a,012345678901,2025-03-01T00:00:00Z,INV-1,000011112222,Usage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonEC2,BoxUsage:p5.48xlarge,On Demand p5,10,9,Compute Instance,p5.48xlarge,GPU instance,OnDemand,USD,,,,,,,,,,,,
b,012345678901,2025-03-01T00:00:00Z,INV-1,000011112222,SavingsPlanCoveredUsage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonSageMaker,USE1-Train:ml.p3.2xlarge,SP covered,3.825,3.4425,ML Instance,ml.p3.2xlarge,,OnDemand,USD,arn:aws:savingsplans::012345678901:savingsplan/s1,2.5,2.25,,,,,,,,,
d,012345678901,2025-03-01T00:00:00Z,INV-1,012345678901,SavingsPlanRecurringFee,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,MachineLearningSavingsPlans,MachineLearningSP:1yrNoUpfront,SP fee,100,90,,,,,USD,arn:aws:savingsplans::012345678901:savingsplan/s1,,,100,60,,,,,,,
e,012345678901,2025-03-01T00:00:00Z,INV-1,000011112222,DiscountedUsage,2025-03-01T00:00:00Z,2025-03-01T01:00:00Z,AmazonEC2,BoxUsage:g5.xlarge,RI usage,0,0,Compute Instance,g5.xlarge,GPU instance,Reserved,USD,,,,,,arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1,0.6,0.54,,,,
f,012345678901,2025-03-01T00:00:00Z,INV-1,012345678901,RIFee,2025-03-01T00:00:00Z,2025-04-01T00:00:00Z,AmazonEC2,HeavyUsage:g5.xlarge,RI fee,50,45,,,,Reserved,USD,,,,,,arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1,,,4,3.6,6,5.4
"""


def test_net_amortized_cost_beside_amortized_and_analyst_columns_kept(tmp_path, warehouse_path):
    """effective_cost is Cost Explorer's "Amortized cost" even when net columns exist; net amortized
    (unused commitments net too) goes to net_effective_cost; an export without net columns has NULL."""
    folder = tmp_path / "cur"
    folder.mkdir()
    (folder / "march.csv").write_text(NET_CSV)
    load_all(folder, warehouse_path)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        rows = {
            r[0]: r[1:]
            for r in conn.execute(
                "select line_item_id, effective_cost, net_effective_cost, product_instance_type, "
                "product_instance_family, product_family, pricing_term, savings_plan_arn, reservation_arn, "
                "invoice_id, pricing_currency, charge_description from raw.billing_line_items"
            ).fetchall()
        }
    assert {k: v[0] for k, v in rows.items()} == {
        "a": Decimal("10"),
        "b": Decimal("2.5"),
        "d": Decimal("40"),
        "e": Decimal("0.6"),
        "f": Decimal("10"),
    }
    assert {k: v[1] for k, v in rows.items()} == {
        "a": Decimal("9"),
        "b": Decimal("2.25"),
        "d": Decimal("36"),  # unused commitment 40 at the fee's 10% discount
        "e": Decimal("0.54"),
        "f": Decimal("9"),
    }
    assert rows["a"][2:] == (
        "p5.48xlarge", "GPU instance", "Compute Instance", "OnDemand", None, None, "INV-1", "USD", "On Demand p5"
    )  # fmt: skip
    assert rows["b"][6] == "arn:aws:savingsplans::012345678901:savingsplan/s1"
    assert rows["e"][7] == "arn:aws:ec2:us-east-1:012345678901:reserved-instances/r1"
    (folder / "march.csv").write_text(AMORTIZATION_CSV)
    load_all(folder, warehouse_path)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        assert conn.execute("select count(net_effective_cost) from raw.billing_line_items").fetchone() == (0,)


def test_loose_copy_of_a_manifest_file_is_not_counted_twice(tmp_path, warehouse_path):
    # As in the keboola sample: the zip governed by the manifest, and the same CSV loose beside it.
    folder = tmp_path / "export"
    shutil.copytree(FIXTURES / "cur_legacy_zip", folder)
    shutil.copy(FIXTURES / "cur_legacy_zip_loose_copy.csv", folder / "sample_billing_data.csv")
    rows, total = file_total([folder / "sample_billing_data.csv"], "lineItem/UnblendedCost")
    assert load_all(folder, warehouse_path) == {"2024-01-01": rows}
    assert warehouse_totals(warehouse_path)[:2] == (rows, total)
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        (source,) = conn.execute("select distinct source_file from raw.billing_line_items").fetchone()
    assert source.endswith(".csv.zip")  # the manifest's delivery wins over the loose copy


def test_empty_cost_fields_land_as_zero_and_the_check_warns(warehouse_path, monkeypatch):
    # The fivetran seed is a CUR 2.0 schema with (almost) every value empty, costs included.
    monkeypatch.setenv("CUR_EXPORT_URI", str(FIXTURES / "cur2_fivetran"))
    with dg.instance_for_test() as instance:
        result = materialize(instance, warehouse_path, "2024-04-01")
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    rows, billed, _ = warehouse_totals(warehouse_path, "2024-04-01")
    missing = checks["no_null_costs"].metadata["rows_with_missing_cost"].value
    assert checks["rows_present"].passed
    assert (
        not checks["no_null_costs"].passed and checks["no_null_costs"].severity == dg.AssetCheckSeverity.WARN
    )
    assert 0 < missing <= rows
    assert (
        billed
        == file_total([FIXTURES / "cur2_fivetran" / "aws_cost_report.csv"], "line_item_unblended_cost")[1]
    )
