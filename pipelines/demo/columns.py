"""The columns of each demo export format, as expressions over the canonical line items.

billing.py builds the canonical rows (CUR 2.0 names plus helper columns); every format reads them
through the `canonical` macro and selects its own columns in AWS's order: CUR 2.0 (CUR2_COLUMNS),
legacy CUR (the same columns under `category/Name` headers, plus one per tag key) and FOCUS 1.0.
exports.py writes the files; scale.py streams a scaled CUR 2.0 month through the same columns.
"""

from __future__ import annotations

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
                  l.resource_id, l.usage_start, l.billing_period, l.description, l.iam_principal)) as line_item_id,
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
    ("line_item_iam_principal", "varchar", "coalesce(iam_principal, '')"),
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


def macro_sql(
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


def legacy_columns(keys: list[str]) -> list[tuple[str, str, str]]:
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
