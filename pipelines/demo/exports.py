"""Write the demo bill as the AWS billing exports deliver it: CUR 2.0, legacy CUR and FOCUS 1.0.

`write_demo_exports` lays files out as `aws s3 sync` of the bucket `mlcost-demo-billing` would:

    DIR/cur2/exports/mlcost-demo-cur2/data/BILLING_PERIOD=YYYY-MM/<executionId>/mlcost-demo-cur2-00001.snappy.parquet
    DIR/cur2/exports/mlcost-demo-cur2/metadata/BILLING_PERIOD=YYYY-MM/mlcost-demo-cur2-Manifest.json
    DIR/legacy/cur/mlcost-demo-legacy/YYYYMMDD-YYYYMMDD/<assemblyId>/mlcost-demo-legacy-1.csv.gz (+ manifests)
    DIR/focus/exports/mlcost-demo-focus/data/BILLING_PERIOD=YYYY-MM/mlcost-demo-focus-00001.parquet (+ manifest)

The open month was delivered twice: the older CUR 2.0 execution and legacy assembly (two days
fewer, no tax estimate yet) stay on disk, the manifests name only the newest. Files are
byte-identical for a given seed and as-of date, and their mtimes are the delivery times, derived
from as_of.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.demo.billing import PRODUCT_NAMES, build_line_items, tag_keys
from pipelines.demo.catalog import DAY, HOUR, DemoCatalog, build_catalog

FORMATS = ("cur2", "legacy", "focus")
BUCKET = "mlcost-demo-billing"
CUR2_PREFIX, CUR2_EXPORT = "exports", "mlcost-demo-cur2"
LEGACY_PREFIX, LEGACY_REPORT = "cur", "mlcost-demo-legacy"
FOCUS_PREFIX, FOCUS_EXPORT = "exports", "mlcost-demo-focus"
PART_ROWS = 1_000_000  # rows per Parquet part file, as AWS splits big months
REDELIVERY_LAG = 2 * DAY  # the superseded delivery of the open month lacks the last two days

SERVICE_CATEGORIES = {
    "AmazonSageMaker": "AI and Machine Learning",
    "AmazonEC2": "Compute",
    "AmazonS3": "Storage",
    "MachineLearningSavingsPlans": "AI and Machine Learning",
}

# Every export reads the canonical rows through this macro: product names, ids and intervals.
CANONICAL_MACRO = """
create or replace temp macro canonical(src, open_period, payer) as table
select
    l.*,
    p.product_name,
    p.product_map,
    case
        when l.product_family = 'Data Transfer' then 'Networking'
        else p.service_category
    end as service_category,
    md5(concat_ws('|', l.line_item_type, l.account_id, l.product_code, l.usage_type, l.operation,
                  l.resource_id, l.usage_start, l.billing_period, l.description)) as line_item_id,
    strftime(l.usage_start, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime(l.usage_end, '%Y-%m-%dT%H:%M:%SZ')
        as time_interval,
    (l.billing_period + interval 1 month)::timestamp as period_end,
    case when l.billing_period < open_period::date then strftime(l.billing_period, '2%y%m00731') else '' end
        as invoice_id,
    payer as payer_account_id,
    case l.line_item_type
        when 'SavingsPlanCoveredUsage' then l.sp_effective_cost
        when 'SavingsPlanNegation' then 0.0
        when 'SavingsPlanUpfrontFee' then 0.0
        when 'SavingsPlanRecurringFee' then l.sp_total_commitment - l.sp_used_commitment
        when 'DiscountedUsage' then l.ri_effective_cost
        when 'RIFee' then l.ri_unused_upfront + l.ri_unused_recurring
        else l.unblended_cost
    end as effective_cost
from query_table(src) as l
left join products as p using (product_code)
"""

# (column, DuckDB type, expression over canonical(...)), in the order AWS writes them.
CUR2_COLUMNS: list[tuple[str, str, str]] = [
    ("identity_line_item_id", "varchar", "line_item_id"),
    ("identity_time_interval", "varchar", "time_interval"),
    ("bill_invoice_id", "varchar", "invoice_id"),
    ("bill_invoicing_entity", "varchar", "'Amazon Web Services, Inc.'"),
    ("bill_billing_entity", "varchar", "'AWS'"),
    ("bill_bill_type", "varchar", "'Anniversary'"),
    ("bill_payer_account_id", "varchar", "payer_account_id"),
    ("bill_billing_period_start_date", "timestamptz", "billing_period::timestamp"),
    ("bill_billing_period_end_date", "timestamptz", "period_end"),
    ("line_item_usage_account_id", "varchar", "account_id"),
    ("line_item_line_item_type", "varchar", "line_item_type"),
    ("line_item_usage_start_date", "timestamptz", "usage_start"),
    ("line_item_usage_end_date", "timestamptz", "usage_end"),
    ("line_item_product_code", "varchar", "product_code"),
    ("line_item_usage_type", "varchar", "usage_type"),
    ("line_item_operation", "varchar", "operation"),
    ("line_item_availability_zone", "varchar", "coalesce(availability_zone, '')"),
    ("line_item_resource_id", "varchar", "resource_id"),
    ("line_item_usage_amount", "double", "usage_amount"),
    ("line_item_normalization_factor", "double", "0.0"),
    ("line_item_normalized_usage_amount", "double", "0.0"),
    ("line_item_currency_code", "varchar", "'USD'"),
    ("line_item_unblended_rate", "double", "unblended_rate"),
    ("line_item_unblended_cost", "double", "unblended_cost"),
    ("line_item_blended_rate", "double", "unblended_rate"),
    ("line_item_blended_cost", "double", "unblended_cost"),
    ("line_item_line_item_description", "varchar", "description"),
    ("line_item_tax_type", "varchar", "coalesce(tax_type, '')"),
    ("line_item_legal_entity", "varchar", "'Amazon Web Services, Inc.'"),
    ("product_servicecode", "varchar", "product_code"),
    ("product_product_family", "varchar", "coalesce(product_family, '')"),
    ("product_region_code", "varchar", "region"),
    (
        "product_location",
        "varchar",
        "case region when 'us-east-1' then 'US East (N. Virginia)' else 'US West (Oregon)' end",
    ),
    ("product_instance_type", "varchar", "coalesce(instance_type, '')"),
    ("product", "map(varchar, varchar)", "product_map"),
    ("pricing_unit", "varchar", "coalesce(pricing_unit, '')"),
    (
        "pricing_term",
        "varchar",
        "case when line_item_type in ('Usage', 'SavingsPlanCoveredUsage', 'SavingsPlanNegation') then 'OnDemand' "
        "when line_item_type in ('DiscountedUsage', 'RIFee') then 'Reserved' else '' end",
    ),
    ("pricing_public_on_demand_rate", "double", "public_on_demand_rate"),
    ("pricing_public_on_demand_cost", "double", "coalesce(public_on_demand_cost, 0.0)"),
    ("savings_plan_savings_plan_arn", "varchar", "coalesce(sp_arn, '')"),
    ("savings_plan_savings_plan_rate", "double", "sp_rate"),
    ("savings_plan_savings_plan_effective_cost", "double", "sp_effective_cost"),
    ("savings_plan_used_commitment", "double", "sp_used_commitment"),
    ("savings_plan_total_commitment_to_date", "double", "sp_total_commitment"),
    (
        "savings_plan_recurring_commitment_for_billing_period",
        "double",
        "case when line_item_type = 'SavingsPlanRecurringFee' then sp_total_commitment end",
    ),
    (
        "savings_plan_amortized_upfront_commitment_for_billing_period",
        "double",
        "case when line_item_type = 'SavingsPlanRecurringFee' then 0.0 end",
    ),
    ("reservation_reservation_arn", "varchar", "coalesce(ri_arn, '')"),
    ("reservation_effective_cost", "double", "ri_effective_cost"),
    ("reservation_recurring_fee_for_usage", "double", "ri_effective_cost"),
    (
        "reservation_amortized_upfront_cost_for_usage",
        "double",
        "case when line_item_type = 'DiscountedUsage' then 0.0 end",
    ),
    (
        "reservation_amortized_upfront_fee_for_billing_period",
        "double",
        "case when line_item_type = 'RIFee' then 0.0 end",
    ),
    ("reservation_unused_amortized_upfront_fee_for_billing_period", "double", "ri_unused_upfront"),
    ("reservation_unused_recurring_fee", "double", "ri_unused_recurring"),
    ("resource_tags", "map(varchar, varchar)", "coalesce(resource_tags, map([]::varchar[], []::varchar[]))"),
    ("cost_category", "map(varchar, varchar)", "map([]::varchar[], []::varchar[])"),
    ("discount", "map(varchar, double)", "map([]::varchar[], []::double[])"),
]

# Legacy CUR: the same columns under their `category/Name` headers, plus one column per tag key.
LEGACY_NAMES = {
    "identity_line_item_id": "identity/LineItemId",
    "identity_time_interval": "identity/TimeInterval",
    "bill_invoice_id": "bill/InvoiceId",
    "bill_invoicing_entity": "bill/InvoicingEntity",
    "bill_billing_entity": "bill/BillingEntity",
    "bill_bill_type": "bill/BillType",
    "bill_payer_account_id": "bill/PayerAccountId",
    "bill_billing_period_start_date": "bill/BillingPeriodStartDate",
    "bill_billing_period_end_date": "bill/BillingPeriodEndDate",
    "line_item_usage_account_id": "lineItem/UsageAccountId",
    "line_item_line_item_type": "lineItem/LineItemType",
    "line_item_usage_start_date": "lineItem/UsageStartDate",
    "line_item_usage_end_date": "lineItem/UsageEndDate",
    "line_item_product_code": "lineItem/ProductCode",
    "line_item_usage_type": "lineItem/UsageType",
    "line_item_operation": "lineItem/Operation",
    "line_item_availability_zone": "lineItem/AvailabilityZone",
    "line_item_resource_id": "lineItem/ResourceId",
    "line_item_usage_amount": "lineItem/UsageAmount",
    "line_item_normalization_factor": "lineItem/NormalizationFactor",
    "line_item_normalized_usage_amount": "lineItem/NormalizedUsageAmount",
    "line_item_currency_code": "lineItem/CurrencyCode",
    "line_item_unblended_rate": "lineItem/UnblendedRate",
    "line_item_unblended_cost": "lineItem/UnblendedCost",
    "line_item_blended_rate": "lineItem/BlendedRate",
    "line_item_blended_cost": "lineItem/BlendedCost",
    "line_item_line_item_description": "lineItem/LineItemDescription",
    "line_item_tax_type": "lineItem/TaxType",
    "line_item_legal_entity": "lineItem/LegalEntity",
    "product_servicecode": "product/servicecode",
    "product_product_family": "product/productFamily",
    "product_region_code": "product/region",
    "product_location": "product/location",
    "product_instance_type": "product/instanceType",
    "pricing_unit": "pricing/unit",
    "pricing_term": "pricing/term",
    "pricing_public_on_demand_rate": "pricing/publicOnDemandRate",
    "pricing_public_on_demand_cost": "pricing/publicOnDemandCost",
    "savings_plan_savings_plan_arn": "savingsPlan/SavingsPlanARN",
    "savings_plan_savings_plan_rate": "savingsPlan/SavingsPlanRate",
    "savings_plan_savings_plan_effective_cost": "savingsPlan/SavingsPlanEffectiveCost",
    "savings_plan_used_commitment": "savingsPlan/UsedCommitment",
    "savings_plan_total_commitment_to_date": "savingsPlan/TotalCommitmentToDate",
    "savings_plan_recurring_commitment_for_billing_period": "savingsPlan/RecurringCommitmentForBillingPeriod",
    "savings_plan_amortized_upfront_commitment_for_billing_period": "savingsPlan/AmortizedUpfrontCommitmentForBillingPeriod",
    "reservation_reservation_arn": "reservation/ReservationARN",
    "reservation_effective_cost": "reservation/EffectiveCost",
    "reservation_recurring_fee_for_usage": "reservation/RecurringFeeForUsage",
    "reservation_amortized_upfront_cost_for_usage": "reservation/AmortizedUpfrontCostForUsage",
    "reservation_amortized_upfront_fee_for_billing_period": "reservation/AmortizedUpfrontFeeForBillingPeriod",
    "reservation_unused_amortized_upfront_fee_for_billing_period": "reservation/UnusedAmortizedUpfrontFeeForBillingPeriod",
    "reservation_unused_recurring_fee": "reservation/UnusedRecurringFee",
}

FOCUS_COLUMNS: list[tuple[str, str, str]] = [
    ("BilledCost", "double", "unblended_cost"),
    ("EffectiveCost", "double", "effective_cost"),
    ("ListCost", "double", "coalesce(public_on_demand_cost, unblended_cost)"),
    ("ContractedCost", "double", "coalesce(public_on_demand_cost, unblended_cost)"),
    ("BillingAccountId", "varchar", "payer_account_id"),
    ("BillingAccountName", "varchar", "'mlcost-demo-payer'"),
    ("SubAccountId", "varchar", "account_id"),
    (
        "SubAccountName",
        "varchar",
        "case when account_id = payer_account_id then 'mlcost-demo-payer' "
        "when account_id like '04%' then 'ml-prod' else 'ml-dev' end",
    ),
    ("ProviderName", "varchar", "'AWS'"),
    ("PublisherName", "varchar", "'Amazon Web Services, Inc.'"),
    ("InvoiceIssuerName", "varchar", "'Amazon Web Services, Inc.'"),
    ("ServiceName", "varchar", "product_name"),
    ("ServiceCategory", "varchar", "service_category"),
    (
        "ChargeCategory",
        "varchar",
        "case line_item_type when 'Tax' then 'Tax' when 'Credit' then 'Credit' when 'Refund' then 'Credit' "
        "when 'SavingsPlanRecurringFee' then 'Purchase' when 'RIFee' then 'Purchase' when 'Fee' then 'Purchase' "
        "else 'Usage' end",
    ),
    ("ChargeClass", "varchar", "case when line_item_type = 'Refund' then 'Correction' end"),
    ("ChargeDescription", "varchar", "description"),
    (
        "ChargeFrequency",
        "varchar",
        "case when line_item_type in ('SavingsPlanRecurringFee', 'RIFee') then 'Recurring' "
        "when line_item_type in ('Tax', 'Credit', 'Refund', 'Fee') then 'One-Time' else 'Usage-Based' end",
    ),
    ("ChargePeriodStart", "timestamptz", "usage_start"),
    ("ChargePeriodEnd", "timestamptz", "usage_end"),
    ("BillingPeriodStart", "timestamptz", "billing_period::timestamp"),
    ("BillingPeriodEnd", "timestamptz", "period_end"),
    ("BillingCurrency", "varchar", "'USD'"),
    ("ResourceId", "varchar", "nullif(resource_id, '')"),
    ("RegionId", "varchar", "region"),
    (
        "RegionName",
        "varchar",
        "case region when 'us-east-1' then 'US East (N. Virginia)' else 'US West (Oregon)' end",
    ),
    ("AvailabilityZone", "varchar", "nullif(availability_zone, '')"),
    (
        "ConsumedQuantity",
        "double",
        "case when line_item_type in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') then usage_amount end",
    ),
    (
        "ConsumedUnit",
        "varchar",
        "case when line_item_type in ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage') then pricing_unit end",
    ),
    ("PricingQuantity", "double", "usage_amount"),
    ("PricingUnit", "varchar", "nullif(pricing_unit, '')"),
    (
        "PricingCategory",
        "varchar",
        "case when line_item_type in ('DiscountedUsage', 'SavingsPlanCoveredUsage') then 'Committed' "
        "when line_item_type = 'Usage' then 'Standard' end",
    ),
    ("CommitmentDiscountId", "varchar", "coalesce(sp_arn, ri_arn)"),
    (
        "CommitmentDiscountType",
        "varchar",
        "case when sp_arn is not null then 'Savings Plan' when ri_arn is not null then 'Reservation' end",
    ),
    (
        "CommitmentDiscountCategory",
        "varchar",
        "case when sp_arn is not null then 'Spend' when ri_arn is not null then 'Usage' end",
    ),
    ("Tags", "varchar", "to_json(coalesce(tags, map([]::varchar[], []::varchar[])))::varchar"),
    ("x_ServiceCode", "varchar", "product_code"),
    ("x_UsageType", "varchar", "usage_type"),
    ("x_Operation", "varchar", "operation"),
]

ORDER_BY = "billing_period, usage_start, account_id, product_code, usage_type, resource_id, line_item_type, line_item_id"


@dataclass
class FormatSummary:
    """What one format's export holds: current deliveries only (superseded files excluded)."""

    format: str
    root: Path
    periods: list[str] = field(default_factory=list)
    rows: int = 0
    unblended_cost: float = 0.0
    rows_by_period: dict[str, int] = field(default_factory=dict)
    cost_by_period: dict[str, float] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def line(self) -> str:
        span = f"{self.periods[0]}..{self.periods[-1]}" if self.periods else "none"
        return (
            f"{self.format}: {len(self.periods)} period{'' if len(self.periods) == 1 else 's'} ({span}), {self.rows:,} rows, "
            f"${self.unblended_cost:,.2f} unblended -> {self.root}"
        )


def _macro_sql(
    name: str, columns: list[tuple[str, str, str]], order: bool = True, positional: bool = False
) -> str:
    # positional: name the columns c0, c1, ... (DuckDB names are case-insensitive, legacy CUR's are not)
    select = ",\n    ".join(
        f'cast({expr} as {kind}) as "{f"c{i}" if positional else col}"'
        for i, (col, kind, expr) in enumerate(columns)
    )
    tail = f"\norder by {ORDER_BY}" if order else ""
    return (
        f"create or replace temp macro {name}(src, period, open_period, payer) as table\n"
        f"select\n    {select}\nfrom canonical(src, open_period, payer)\n"
        f"where billing_period = period::date{tail}"
    )


def _legacy_columns(keys: list[str]) -> list[tuple[str, str, str]]:
    columns = []
    for name, kind, expr in CUR2_COLUMNS:
        if name in LEGACY_NAMES:
            if kind == "timestamptz":
                expr, kind = f"strftime(({expr})::timestamp, '%Y-%m-%dT%H:%M:%SZ')", "varchar"
            columns.append((LEGACY_NAMES[name], kind, expr))
        elif name == "product":
            columns.append(("product/ProductName", "varchar", "product_name"))
    for key in keys:
        literal = "'" + key.replace("'", "''") + "'"
        columns.append((f"resourceTags/user:{key}", "varchar", f"coalesce(tags[{literal}], '')"))
    return columns


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _stable_uuid(*key: object) -> str:
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=16).digest()
    return str(uuid.UUID(bytes=digest, version=4))


def _epoch(moment: dt.datetime) -> float:
    return moment.timestamp()


def _manifest_type(kind: str) -> str:
    return {
        "varchar": "string",
        "double": "double",
        "timestamptz": "timestamp",
        "map(varchar, varchar)": "map<string,string>",
        "map(varchar, double)": "map<string,double>",
    }[kind]


class _Writer:
    """One DuckDB session that holds the canonical rows and writes every format from them."""

    def __init__(self, catalog: DemoCatalog, out_dir: Path) -> None:
        self.catalog = catalog
        self.out = out_dir
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self.con.execute("set enable_progress_bar = false")
        # Bounded memory whatever --rows asks for: parts stream to Parquet one at a time.
        self.con.execute("set memory_limit = '2GB'")
        products = pa.table(
            {
                "product_code": list(PRODUCT_NAMES),
                "product_name": list(PRODUCT_NAMES.values()),
                "service_category": [SERVICE_CATEGORIES[c] for c in PRODUCT_NAMES],
            }
        )
        self.con.register("products_arrow", products)
        self.con.execute(
            "create temp table products as select *, "
            "map {'product_name': product_name, 'servicename': product_name} as product_map from products_arrow"
        )
        self.con.execute(CANONICAL_MACRO)
        self.con.execute(_macro_sql("cur2_rows", CUR2_COLUMNS))
        self.con.execute(_macro_sql("focus_rows", FOCUS_COLUMNS))
        self.params = {"open_period": catalog.open_period, "payer": catalog.payer_account_id}

    # Delivery times: closed months were finalised two days after month end; the open month was
    # delivered early on the day before as_of and again a day earlier (the superseded delivery).
    def delivered_at(self, period: dt.date, superseded: bool = False) -> dt.datetime:
        newest = self.catalog.data_through + dt.timedelta(hours=7)
        if period == self.catalog.open_period:
            return newest - REDELIVERY_LAG if superseded else newest
        period_end = dt.datetime(period.year, period.month, 1, tzinfo=dt.UTC) + dt.timedelta(days=32)
        period_end = period_end.replace(day=1)
        return min(period_end + 2 * DAY + 5 * HOUR, newest - HOUR)

    def set_mtime(self, path: Path, moment: dt.datetime) -> None:
        os.utime(path, (_epoch(moment), _epoch(moment)))

    def copy(self, macro: str, period: dt.date, path: Path, options: str, source: str = "line_items") -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        params = {"src": source, "period": period, **self.params}
        # Only the file name is spliced in (quoted); every value is a bound parameter.
        copied = self.con.execute(
            f"copy (from {macro}($src, $period, $open_period, $payer)) to {_sql_string(path)} ({options})",
            params,
        ).fetchone()
        return int(copied[0])

    def period_cost(self, period: dt.date, source: str = "line_items") -> tuple[int, float]:
        row = self.con.execute(
            "select count(*), coalesce(sum(unblended_cost), 0) from query_table($src) where billing_period = $p",
            {"src": source, "p": period},
        ).fetchone()
        return int(row[0]), float(row[1])


def write_demo_exports(
    out_dir: Path | str,
    seed: int = 7,
    as_of: dt.date | None = None,
    months: int = 3,
    formats: tuple[str, ...] | list[str] | str = ("cur2",),
    rows: int | None = None,
) -> dict[str, FormatSummary]:
    """Write the demo organisation's billing exports under out_dir; returns a summary per format.

    rows: scale the latest closed CUR 2.0 month to exactly this many line items (benchmarks).
    """
    if isinstance(formats, str):
        formats = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    out = Path(out_dir)
    catalog = build_catalog(seed=seed, as_of=as_of, months=months)
    writer = _Writer(catalog, out)
    con = writer.con
    summaries: dict[str, FormatSummary] = {}

    # The superseded delivery of the open month, built first with an earlier cutoff.
    old_cutoff = max(catalog.data_through - REDELIVERY_LAG, catalog.history_start)
    build_line_items(con, catalog, old_cutoff, with_tax=False)
    con.execute("create or replace temp table line_items_superseded as from line_items")
    build_line_items(con, catalog, catalog.data_through)
    keys = sorted(set(tag_keys(con)))

    scaled_period = catalog.periods[-2] if len(catalog.periods) > 1 else catalog.periods[-1]
    base_rows = writer.period_cost(scaled_period)[0]
    if rows is not None and rows < base_rows:
        con.close()
        raise ValueError(
            f"--rows must be at least {base_rows:,} (the regular demo rows of {scaled_period:%Y-%m})"
        )
    if "cur2" in formats:
        summaries["cur2"] = _write_cur2(writer, rows, scaled_period)
    if "legacy" in formats:
        con.execute(_macro_sql("legacy_rows", _legacy_columns(keys), positional=True))
        summaries["legacy"] = _write_legacy(writer, keys)
    if "focus" in formats:
        summaries["focus"] = _write_focus(writer)
    con.close()
    for summary in summaries.values():
        _settle_folder_mtimes(summary.root)
    return {f: summaries[f] for f in FORMATS if f in summaries}


def _settle_folder_mtimes(root: Path) -> None:
    """Give every folder the mtime of its newest entry, so folder listings sort like the deliveries."""
    for folder, dirs, files in os.walk(root, topdown=False):
        entries = [Path(folder, name) for name in (*dirs, *files)]
        if entries:
            newest = max(entry.stat().st_mtime for entry in entries)
            os.utime(folder, (newest, newest))


def _record(summary: FormatSummary, period: dt.date, rows: int, cost: float) -> None:
    label = f"{period:%Y-%m}"
    summary.periods.append(label)
    summary.rows_by_period[label] = rows
    summary.cost_by_period[label] = round(cost, 10)
    summary.rows += rows
    summary.unblended_cost = round(summary.unblended_cost + cost, 10)


def _write_manifest(writer: _Writer, path: Path, body: dict, moment: dt.datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n")
    writer.set_mtime(path, moment)


def _write_cur2(writer: _Writer, rows: int | None, scaled_period: dt.date) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "cur2" / CUR2_PREFIX / CUR2_EXPORT
    summary = FormatSummary("cur2", writer.out / "cur2")
    export_arn = (
        f"arn:aws:bcm-data-exports:us-east-1:{catalog.payer_account_id}:export/"
        f"{CUR2_EXPORT}-{_stable_uuid(catalog.seed, 'export')}"
    )
    columns = [{"name": name, "type": _manifest_type(kind)} for name, kind, _ in CUR2_COLUMNS]
    parquet = "format parquet, compression snappy"
    for period in catalog.periods:
        label = f"{period:%Y-%m}"
        deliveries = [(False, "line_items")]
        if period == catalog.open_period:
            deliveries.insert(0, (True, "line_items_superseded"))
        for superseded, source in deliveries:
            execution_id = _stable_uuid(catalog.seed, "cur2", label, superseded)
            moment = writer.delivered_at(period, superseded)
            data_dir = root / "data" / f"BILLING_PERIOD={label}" / execution_id
            if rows is not None and period == scaled_period and not superseded:
                files, count, cost = _write_scaled_month(writer, period, data_dir, rows)
            else:
                path = data_dir / f"{CUR2_EXPORT}-00001.snappy.parquet"
                count = writer.copy("cur2_rows", period, path, parquet, source)
                cost = writer.period_cost(period, source)[1]
                files = [path]
            for path in files:
                writer.set_mtime(path, moment)
            if superseded:
                continue  # the manifest names only the newest execution
            summary.files.extend(files)
            _record(summary, period, count, cost)
            manifest = {
                "executionId": execution_id,
                "exportArn": export_arn,
                "reportName": CUR2_EXPORT,
                "account": catalog.payer_account_id,
                "billingPeriod": {
                    "start": f"{period:%Y-%m-%d}T00:00:00.000Z",
                    "end": f"{_next_month(period):%Y-%m-%d}T00:00:00.000Z",
                },
                "columns": columns,
                "dataFiles": [
                    f"s3://{BUCKET}/{p.relative_to(writer.out / 'cur2').as_posix()}" for p in files
                ],
                "schema": "2",
                "contentType": "application/x-parquet",
                "compression": "SNAPPY",
                "charset": "UTF-8",
                "timeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
                "deliveredAt": moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "finalized": period != catalog.open_period,
            }
            path = root / "metadata" / f"BILLING_PERIOD={label}" / f"{CUR2_EXPORT}-Manifest.json"
            _write_manifest(writer, path, manifest, moment)
            summary.files.append(path)
    return summary


def _next_month(period: dt.date) -> dt.date:
    return (period.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _write_legacy(writer: _Writer, keys: list[str]) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "legacy"
    report_root = root / LEGACY_PREFIX / LEGACY_REPORT
    summary = FormatSummary("legacy", root)
    names = [name for name, _, _ in _legacy_columns(keys)]
    columns = [
        {"category": n.split("/", 1)[0], "name": n.split("/", 1)[1], "type": "OptionalString"} for n in names
    ]
    header = (",".join(names) + "\n").encode()
    for period in catalog.periods:
        label = f"{period:%Y%m%d}-{_next_month(period):%Y%m%d}"
        deliveries = [(False, "line_items")]
        if period == catalog.open_period:
            deliveries.insert(0, (True, "line_items_superseded"))
        for superseded, source in deliveries:
            assembly_id = _stable_uuid(catalog.seed, "legacy", label, superseded)
            moment = writer.delivered_at(period, superseded)
            assembly_dir = report_root / label / assembly_id
            csv_path = assembly_dir / f"{LEGACY_REPORT}-1.csv"
            count = writer.copy("legacy_rows", period, csv_path, "format csv, header false", source)
            gz_path = csv_path.with_suffix(".csv.gz")
            # Our own header keeps tag keys that differ only in case (user:Model and user:model);
            # gzip with mtime 0 so the bytes depend on the content only.
            with csv_path.open("rb") as raw, gzip.GzipFile(gz_path, "wb", mtime=0) as packed:
                packed.write(header)
                packed.write(raw.read())
            csv_path.unlink()
            writer.set_mtime(gz_path, moment)
            key = gz_path.relative_to(root).as_posix()
            manifest = {
                "assemblyId": assembly_id,
                "account": catalog.payer_account_id,
                "columns": columns,
                "charset": "UTF-8",
                "compression": "GZIP",
                "contentType": "text/csv",
                "reportId": _stable_uuid(catalog.seed, "report").replace("-", ""),
                "reportName": LEGACY_REPORT,
                "billingPeriod": {
                    "start": f"{period:%Y%m%d}T000000.000Z",
                    "end": f"{_next_month(period):%Y%m%d}T000000.000Z",
                },
                "bucket": BUCKET,
                "reportKeys": [key],
                "additionalArtifactKeys": [],
            }
            _write_manifest(writer, assembly_dir / f"{LEGACY_REPORT}-Manifest.json", manifest, moment)
            if superseded:
                continue
            # The period-level manifest is overwritten by each delivery: it names the newest assembly.
            period_manifest = report_root / label / f"{LEGACY_REPORT}-Manifest.json"
            _write_manifest(writer, period_manifest, manifest, moment)
            summary.files.extend([gz_path, assembly_dir / f"{LEGACY_REPORT}-Manifest.json", period_manifest])
            _record(summary, period, count, writer.period_cost(period, source)[1])
    return summary


def _write_focus(writer: _Writer) -> FormatSummary:
    catalog = writer.catalog
    root = writer.out / "focus" / FOCUS_PREFIX / FOCUS_EXPORT
    summary = FormatSummary("focus", writer.out / "focus")
    export_arn = (
        f"arn:aws:bcm-data-exports:us-east-1:{catalog.payer_account_id}:export/"
        f"{FOCUS_EXPORT}-{_stable_uuid(catalog.seed, 'focus-export')}"
    )
    columns = [{"name": name, "type": _manifest_type(kind)} for name, kind, _ in FOCUS_COLUMNS]
    for period in catalog.periods:
        label = f"{period:%Y-%m}"
        moment = writer.delivered_at(period)
        path = root / "data" / f"BILLING_PERIOD={label}" / f"{FOCUS_EXPORT}-00001.parquet"
        count = writer.copy("focus_rows", period, path, "format parquet, compression snappy")
        writer.set_mtime(path, moment)
        manifest = {
            "executionId": _stable_uuid(catalog.seed, "focus", label),
            "exportArn": export_arn,
            "reportName": FOCUS_EXPORT,
            "account": catalog.payer_account_id,
            "billingPeriod": {
                "start": f"{period:%Y-%m-%d}T00:00:00.000Z",
                "end": f"{_next_month(period):%Y-%m-%d}T00:00:00.000Z",
            },
            "columns": columns,
            "dataFiles": [f"s3://{BUCKET}/{path.relative_to(writer.out / 'focus').as_posix()}"],
            "schema": "FOCUS-1.0",
            "contentType": "application/x-parquet",
            "compression": "SNAPPY",
            "charset": "UTF-8",
            "finalized": period != catalog.open_period,
        }
        manifest_path = root / "metadata" / f"BILLING_PERIOD={label}" / f"{FOCUS_EXPORT}-Manifest.json"
        _write_manifest(writer, manifest_path, manifest, moment)
        summary.files.extend([path, manifest_path])
        _record(summary, period, count, writer.period_cost(period)[1])
    return summary


def _write_scaled_month(writer: _Writer, period: dt.date, data_dir: Path, rows: int):
    from pipelines.demo.scale import write_scaled_month

    return write_scaled_month(writer, period, data_dir, rows)
