-- One row per usage date, endpoint and billing currency: the endpoint's inference cost and the part
-- of it spent in hours in which the endpoint served no prediction at all. A line's cost is spread
-- evenly over the hours it covers (hourly exports: one hour; daily exports: 24); its idle part is
-- cost x idle hours / hours covered, divided exactly in DECIMAL (divide_money).
with

line_items as (
    select * from {{ ref('int_line_items__classified') }}
),

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

endpoint_lines as (
    select
        row_number() over () as line_key,
        usage_date,
        sagemaker_resource_name as endpoint_name,
        resource_account_id as account_id,
        resource_region as region,
        billing_currency,
        effective_cost,
        coalesce(date_trunc('hour', charge_period_start_at), cast(usage_date as timestamp)) as covered_from_at,
        coalesce(charge_period_end_at, cast(usage_date as timestamp) + interval 1 day) as covered_to_at
    from line_items
    where sagemaker_resource_type = 'endpoint' and category = 'inference'
),

line_hours as (
    select
        *,
        cast(greatest(1, ceil(date_diff('second', covered_from_at, covered_to_at) / 3600.0)) as bigint) as hours_covered,
        unnest(generate_series(covered_from_at, covered_to_at - interval 1 microsecond, interval 1 hour)) as hour_start_at
    from endpoint_lines
),

hourly_predictions as (
    select
        endpoint_name,
        account_id,
        region,
        hour_start_at,
        sum(predictions) as predictions
    from predictions
    group by all
),

line_idle_hours as (
    select
        line_hours.line_key,
        line_hours.usage_date,
        line_hours.endpoint_name,
        line_hours.billing_currency,
        line_hours.effective_cost,
        line_hours.hours_covered,
        count(*) filter (where coalesce(hourly_predictions.predictions, 0) = 0) as idle_hours
    from line_hours
    left join hourly_predictions
        on
            line_hours.endpoint_name = hourly_predictions.endpoint_name
            and coalesce(line_hours.account_id, '') = coalesce(hourly_predictions.account_id, '')
            and coalesce(line_hours.region, '') = coalesce(hourly_predictions.region, '')
            and line_hours.hour_start_at = hourly_predictions.hour_start_at
    group by all
),

final as (
    select
        usage_date,
        endpoint_name,
        billing_currency,
        sum(effective_cost) as endpoint_cost,
        sum(
            case
                when idle_hours >= hours_covered then effective_cost
                else {{ divide_money('effective_cost * idle_hours', 'hours_covered') }}
            end
        ) as idle_cost
    from line_idle_hours
    group by usage_date, endpoint_name, billing_currency
)

select * from final
