-- One row per usage date, account, region, endpoint and billing currency: the endpoint's inference
-- cost on two bases, as OpenCost splits them. Allocation: everything the endpoint cost
-- (endpoint_cost). Usage: the cost of the capacity it used (usage_cost = endpoint_cost - idle_cost).
-- Idle is capacity not used: each line's cost is spread evenly over the hours it covers (hourly
-- exports: one hour; daily exports: 24) and each hour's part is idle in proportion to
-- 1 - utilization, the measured GPU (else CPU) utilization of the endpoint's instances of the
-- line's instance type (int_endpoint_utilization__hourly). An hour without a utilization metric
-- falls back to predictions: idle when the endpoint served none, used otherwise. Serverless
-- inference bills only the compute it used: never idle.
-- A table, not a view: cost_per_prediction, the idle-endpoint recommendation and this model's test
-- read it, and as a view each of them classified the whole bill again (the slowest steps of the
-- build on a 5-million-line month).
{{ config(materialized='table') }}

{#- What each line carries to its hours, and back to one row per line (all but the instance type). -#}
{%- set line_columns = ['usage_date', 'endpoint_name', 'account_id', 'region', 'billing_currency', 'effective_cost', 'is_serverless', 'instance_type', 'instance_hours'] -%}
{%- set per_line_columns = line_columns | reject('equalto', 'instance_type') | list %}

with

line_items as (
    select * from {{ ref('int_line_items__classified') }}
),

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

utilization as (
    select * from {{ ref('int_endpoint_utilization__hourly') }}
),

endpoint_lines as (
    select
        usage_date,
        sagemaker_resource_name as endpoint_name,
        resource_account_id as account_id,
        resource_region as region,
        billing_currency,
        effective_cost,
        lower(usage_type) like '%serverlessinf%' as is_serverless,
        case
            when lower(split_part(usage_type, ':', 2)) like 'ml.%' then lower(split_part(usage_type, ':', 2))
        end as instance_type,
        case
            when lower(split_part(usage_type, ':', 2)) like 'ml.%' and lower(usage_type) not like '%serverlessinf%'
                then usage_quantity
        end as instance_hours,
        coalesce(date_trunc('hour', charge_period_start_at), cast(usage_date as timestamp)) as covered_from_at,
        coalesce(charge_period_end_at, cast(usage_date as timestamp) + interval '1' day) as covered_to_at
    from line_items
    where sagemaker_resource_type = 'endpoint' and category = 'inference'
),

-- A line within one clock hour (every line of an hourly export) is that hour; a longer one (daily
-- exports) is spread over its hours, each of which is joined to the hour's predictions and
-- utilization below and summed back per line. Only the longer ones are exploded and regrouped.
spans as (
    select
        *,
        covered_to_at > covered_from_at and covered_to_at <= covered_from_at + interval '1' hour as is_one_hour
    from endpoint_lines
),

line_hours as (
    select
        {%- for column in line_columns %}
            {{ column }},
        {%- endfor %}
        cast(1 as bigint) as hours_covered,
        covered_from_at as hour_start_at,
        cast(null as bigint) as line_key
    from spans
    where is_one_hour

    union all

    select
        {%- for column in line_columns %}
            multi_hour.{{ column }},
        {%- endfor %}
        multi_hour.hours_covered,
        hours.hour_start_at,
        multi_hour.line_key
    from (
        select
            *,
            {{ row_key() }} as line_key,
            cast(greatest(1, ceil({{ datetime_diff('second', 'covered_from_at', 'covered_to_at') }} / 3600.0)) as bigint) as hours_covered
        from spans
        where not is_one_hour
    ) as multi_hour
    {{ unnest_join(hour_array('multi_hour.covered_from_at', 'multi_hour.covered_to_at'), 'hours', 'hour_start_at') }}
),

hourly_predictions as (
    select
        endpoint_name,
        account_id,
        region,
        hour_start_at,
        sum(predictions) as predictions
    from predictions
    group by endpoint_name, account_id, region, hour_start_at
),

-- Instance-weighted utilization per hour: of the endpoint's variants on one instance type, and of
-- the whole endpoint (for lines whose instance type no variant has, e.g. after a config change).
type_utilization as (
    select
        hour_start_at,
        endpoint_name,
        account_id,
        region,
        instance_type,
        sum(utilization * instance_count) / sum(instance_count) as utilization
    from utilization
    where utilization is not null
    group by hour_start_at, endpoint_name, account_id, region, instance_type
),

endpoint_utilization as (
    select
        hour_start_at,
        endpoint_name,
        account_id,
        region,
        sum(utilization * instance_count) / sum(instance_count) as utilization
    from utilization
    where utilization is not null
    group by hour_start_at, endpoint_name, account_id, region
),

line_hour_idle as (
    select
        line_hours.line_key,
        line_hours.usage_date,
        line_hours.endpoint_name,
        line_hours.account_id,
        line_hours.region,
        line_hours.billing_currency,
        line_hours.effective_cost,
        line_hours.instance_hours,
        line_hours.is_serverless,
        line_hours.hours_covered,
        coalesce(type_utilization.utilization, endpoint_utilization.utilization) as utilization,
        case
            when line_hours.is_serverless then 0.0
            when coalesce(type_utilization.utilization, endpoint_utilization.utilization) is not null
                then 1.0 - coalesce(type_utilization.utilization, endpoint_utilization.utilization)
            when coalesce(hourly_predictions.predictions, 0) = 0 then 1.0
            else 0.0
        end as idle_fraction
    from line_hours
    left join hourly_predictions
        on
            line_hours.endpoint_name = hourly_predictions.endpoint_name
            and coalesce(line_hours.account_id, '') = coalesce(hourly_predictions.account_id, '')
            and coalesce(line_hours.region, '') = coalesce(hourly_predictions.region, '')
            and line_hours.hour_start_at = hourly_predictions.hour_start_at
    left join type_utilization
        on
            line_hours.endpoint_name = type_utilization.endpoint_name
            and line_hours.account_id = type_utilization.account_id
            and line_hours.region = type_utilization.region
            and line_hours.instance_type = type_utilization.instance_type
            and line_hours.hour_start_at = type_utilization.hour_start_at
    left join endpoint_utilization
        on
            line_hours.endpoint_name = endpoint_utilization.endpoint_name
            and line_hours.account_id = endpoint_utilization.account_id
            and line_hours.region = endpoint_utilization.region
            and line_hours.hour_start_at = endpoint_utilization.hour_start_at
),

-- One row per line: a one-hour line as it is, a longer one summed over its hours.
lines as (
    select
        {%- for column in per_line_columns %}
            {{ column }},
        {%- endfor %}
        idle_fraction as idle_share,
        cast(case when utilization is not null then 1 else 0 end as bigint) as measured_hours,
        cast(1 as bigint) as hours,
        case when utilization is not null then instance_hours / hours_covered end as measured_instance_hours,
        case when utilization is not null then instance_hours / hours_covered * utilization end as used_instance_hours
    from line_hour_idle
    where line_key is null

    union all

    select
        {%- for column in per_line_columns %}
            {{ column }},
        {%- endfor %}
        sum(idle_fraction) / hours_covered as idle_share,
        count(utilization) as measured_hours,
        count(*) as hours,
        -- instance hours whose utilization was measured, and the used part of them
        sum(instance_hours / hours_covered) filter (where utilization is not null) as measured_instance_hours,
        sum(instance_hours / hours_covered * utilization) filter (where utilization is not null) as used_instance_hours
    from line_hour_idle
    where line_key is not null
    group by line_key, {{ per_line_columns | join(', ') }}, hours_covered
),

endpoint_days as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        billing_currency,
        sum(effective_cost) as endpoint_cost,
        -- A DOUBLE share of a DECIMAL amount, rounded at the 10th decimal (as cost_attribution's
        -- shares); whole-idle lines keep their exact cost.
        sum(
            case
                when idle_share >= 1 then effective_cost
                else cast(round(effective_cost * idle_share, 10) as decimal(38, 10))
            end
        ) as idle_cost,
        sum(instance_hours) as instance_hours,
        100.0 * sum(used_instance_hours) / nullif(sum(measured_instance_hours), 0) as utilization_pct,
        -- utilization: every hour measured; mixed: some; predictions: none (idle = hours without a
        -- prediction); serverless: billed per use, nothing idle.
        case
            when bool_and(is_serverless) then 'serverless'
            when sum(measured_hours) = sum(hours) then 'utilization'
            when sum(measured_hours) > 0 then 'mixed'
            else 'predictions'
        end as idle_basis
    from lines
    group by usage_date, account_id, region, endpoint_name, billing_currency
),

final as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        billing_currency,
        endpoint_cost,
        instance_hours,
        utilization_pct,
        idle_basis,
        cast(idle_cost as decimal(38, 10)) as idle_cost,
        cast(endpoint_cost - idle_cost as decimal(38, 10)) as usage_cost
    from endpoint_days
)

select * from final
