-- A row here is an endpoint-day hosting inference components whose parts do not add up: either its
-- component shares plus the unreserved share are not 1 (check 'shares'), or the cost that
-- marts.cost_attribution gives its components and its unreserved capacity (with whatever of the
-- endpoint was not split, e.g. tagged lines) differs from what the bill charged the endpoint that
-- day (check 'cost'): a component's model would be charged for cost that was lost or counted
-- twice. Costs are compared exactly (DECIMAL sums); shares within 1e-9 (DOUBLE).

-- Shown in Dagster as a check on cost_attribution.
{{ config(meta={'dagster': {'ref': {'name': 'cost_attribution'}}}) }}
with

shares as (
    select usage_date, account_id, region, endpoint_name, sum(share) as share_total
    from {{ ref('int_endpoint_component_shares') }}
    group by usage_date, account_id, region, endpoint_name
),

bill as (
    select
        usage_date,
        resource_account_id as account_id,
        resource_region as region,
        sagemaker_resource_name as endpoint_name,
        billing_currency,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost
    from {{ ref('int_line_items__daily') }}
    where sagemaker_resource_type = 'endpoint'
    group by usage_date, resource_account_id, resource_region, sagemaker_resource_name, billing_currency
),

attributed as (
    select
        usage_date,
        resource_account_id as account_id,
        resource_region as region,
        sagemaker_resource_name as endpoint_name,
        billing_currency,
        sum(effective_cost) as effective_cost,
        sum(billed_cost) as billed_cost
    from {{ ref('cost_attribution') }}
    where sagemaker_resource_type = 'endpoint'
    group by usage_date, resource_account_id, resource_region, sagemaker_resource_name, billing_currency
),

component_endpoint_days as (
    select distinct usage_date, account_id, region, endpoint_name
    from shares
),

cost_mismatches as (
    select
        'cost' as failed_check,
        component_endpoint_days.usage_date,
        component_endpoint_days.account_id,
        component_endpoint_days.region,
        component_endpoint_days.endpoint_name,
        coalesce(bill.billing_currency, attributed.billing_currency) as billing_currency,
        bill.effective_cost as bill_effective_cost,
        attributed.effective_cost as attributed_effective_cost,
        cast(null as double) as share_total
    from component_endpoint_days
    inner join bill
        on
            component_endpoint_days.usage_date = bill.usage_date
            and component_endpoint_days.endpoint_name = bill.endpoint_name
            and component_endpoint_days.account_id is not distinct from bill.account_id
            and component_endpoint_days.region is not distinct from bill.region
    left join attributed
        on
            bill.usage_date = attributed.usage_date
            and bill.endpoint_name = attributed.endpoint_name
            and bill.account_id is not distinct from attributed.account_id
            and bill.region is not distinct from attributed.region
            and bill.billing_currency is not distinct from attributed.billing_currency
    where
        component_endpoint_days.endpoint_name is not null
        and (
            bill.effective_cost is distinct from attributed.effective_cost
            or bill.billed_cost is distinct from attributed.billed_cost
        )
),

share_mismatches as (
    select
        'shares' as failed_check,
        usage_date,
        account_id,
        region,
        endpoint_name,
        null as billing_currency,
        cast(null as decimal(38, 10)) as bill_effective_cost,
        cast(null as decimal(38, 10)) as attributed_effective_cost,
        share_total
    from shares
    where abs(share_total - 1) > 1e-9
)

select * from cost_mismatches
union all
select * from share_mismatches
