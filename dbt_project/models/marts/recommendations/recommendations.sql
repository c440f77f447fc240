-- One row per recommendation and billing period: what to change to spend less, with the evidence,
-- its current monthly cost from the bill and the estimated monthly saving (docs/recommendations.md).
-- Each rule is one intermediate model (intermediate/recommendations); this mart stacks them, names
-- each finding with a stable recommendation_id (type, currency, account, region, resource and
-- detail: the same in every period and every rebuild) and says when it was first and last seen,
-- derived from the bill in the warehouse: a rebuild recomputes the same dates, and they move only
-- when the bill's history does. Every rule model has the same columns in the same order.
with

idle_endpoints as (
    select * from {{ ref('int_recommendations__idle_endpoints') }}
),

underused_endpoints as (
    select * from {{ ref('int_recommendations__underused_endpoints') }}
),

multi_model_endpoints as (
    select * from {{ ref('int_recommendations__multi_model_endpoints') }}
),

spot_training as (
    select * from {{ ref('int_recommendations__spot_training') }}
),

idle_notebooks as (
    select * from {{ ref('int_recommendations__idle_notebooks') }}
),

savings_plans as (
    select * from {{ ref('int_recommendations__savings_plans') }}
),

s3_lifecycle as (
    select * from {{ ref('int_recommendations__s3_lifecycle') }}
),

untagged_spend as (
    select * from {{ ref('int_recommendations__untagged_spend') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
),

findings as (
    select * from idle_endpoints
    union all
    select * from underused_endpoints
    union all
    select * from multi_model_endpoints
    union all
    select * from spot_training
    union all
    select * from idle_notebooks
    union all
    select * from savings_plans
    union all
    select * from s3_lifecycle
    union all
    select * from untagged_spend
),

-- The latest period with a complete day (on the 1st the open month has only its fees).
latest as (
    select max(billing_period) as billing_period
    from periods
    where data_through_date >= billing_period
),

identified as (
    select
        {{ md5_hex("concat_ws(
            '|', findings.recommendation_type, findings.billing_currency, coalesce(findings.account_id, ''),
            coalesce(findings.region, ''), coalesce(findings.resource_id, findings.resource_name),
            findings.finding_detail
        )") }} as recommendation_id,
        findings.*,
        periods.data_through_date,
        findings.billing_period = latest.billing_period as is_current
    from findings
    inner join periods on findings.billing_period = periods.billing_period
    cross join latest
),

final as (
    select
        recommendation_id,
        billing_period,
        billing_currency,
        recommendation_type,
        account_id,
        region,
        resource_id,
        resource_name,
        model_name,
        team,
        project,
        evidence,
        cast(current_cost as decimal(38, 10)) as current_cost,
        cast(current_monthly_cost as decimal(38, 10)) as current_monthly_cost,
        cast(estimated_monthly_savings as decimal(38, 10)) as estimated_monthly_savings,
        savings_basis,
        confidence,
        action,
        data_through_date,
        min(billing_period) over finding as first_seen_date,
        max(data_through_date) over finding as last_seen_date,
        is_current,
        row_number() over (
            partition by billing_period, billing_currency
            order by estimated_monthly_savings desc nulls last, current_monthly_cost desc, recommendation_id asc
        ) as savings_rank
    from identified
    window finding as (partition by recommendation_id)
)

select * from final
