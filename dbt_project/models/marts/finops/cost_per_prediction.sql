-- One row per usage date, account, region, endpoint, model and billing currency: inference cost
-- on the allocation basis (everything the endpoint cost) and the usage basis (cost x measured
-- utilization), the idle part, predictions and cost per prediction. A cost per prediction is
-- only given for a day whose bill is complete; otherwise it is NULL and cost_per_prediction_reason
-- says why (docs/marts.md).
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

idle as (
    select * from {{ ref('int_endpoint_costs__idle') }}
),

utilization as (
    select * from {{ ref('int_endpoint_utilization__hourly') }}
),

billing_periods as (
    select * from {{ ref('int_billing_periods') }}
),

-- All inference cost, so the mart reconciles with cost_by_model; inference that ran on no
-- endpoint (batch transform, unmatched ARNs) has endpoint_name 'unattributed'. Currencies stay
-- apart: one row per currency the cost was billed in.
inference_costs as (
    select
        usage_date,
        resource_account_id as account_id,
        resource_region as region,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        model_name,
        billing_currency,
        sum(effective_cost) as inference_cost,
        sum(usage_quantity) filter (
            where usage_type like '%:ml.%' and lower(usage_type) not like '%serverlessinf%'
        ) as instance_hours
    from costs
    where category = 'inference'
    group by usage_date, resource_account_id, resource_region, coalesce(endpoint_name, 'unattributed'), model_name, billing_currency
),

daily_predictions as (
    select
        usage_date,
        account_id,
        region,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        coalesce(model_name, 'unattributed') as model_name,
        sum(predictions) as predictions
    from predictions
    group by usage_date, account_id, region, coalesce(endpoint_name, 'unattributed'), coalesce(model_name, 'unattributed')
),

-- Predictions have no currency: each currency's row carries the day's predictions, and a day with
-- predictions but no cost has a NULL billing_currency.
joined as (
    select
        coalesce(inference_costs.usage_date, daily_predictions.usage_date) as usage_date,
        coalesce(inference_costs.account_id, daily_predictions.account_id) as account_id,
        coalesce(inference_costs.region, daily_predictions.region) as region,
        coalesce(inference_costs.endpoint_name, daily_predictions.endpoint_name) as endpoint_name,
        coalesce(inference_costs.model_name, daily_predictions.model_name) as model_name,
        inference_costs.billing_currency,
        coalesce(daily_predictions.predictions, 0) as predictions,
        inference_costs.inference_cost,
        inference_costs.instance_hours
    from inference_costs
    full outer join daily_predictions
        on
            inference_costs.usage_date = daily_predictions.usage_date
            and coalesce(inference_costs.account_id, '') = coalesce(daily_predictions.account_id, '')
            and coalesce(inference_costs.region, '') = coalesce(daily_predictions.region, '')
            and inference_costs.endpoint_name = daily_predictions.endpoint_name
            and inference_costs.model_name = daily_predictions.model_name
),

-- An endpoint's idle cost is shared between its models like the rest of its cost: each part is
-- rounded to 10 decimals and the model with the largest cost takes the remainder, so the parts
-- add up to the endpoint's idle cost exactly.
with_idle as (
    select
        joined.*,
        coalesce(idle.idle_cost, 0) as endpoint_idle_cost,
        idle.utilization_pct,
        idle.idle_basis,
        sum(joined.inference_cost) over endpoint_day as endpoint_inference_cost,
        row_number() over (
            partition by joined.usage_date, joined.account_id, joined.region, joined.endpoint_name, joined.billing_currency
            order by joined.inference_cost desc, joined.model_name asc
        ) as idle_rank
    from joined
    left join idle
        on
            joined.usage_date = idle.usage_date
            and coalesce(joined.account_id, '') = coalesce(idle.account_id, '')
            and coalesce(joined.region, '') = coalesce(idle.region, '')
            and joined.endpoint_name = idle.endpoint_name
            and joined.billing_currency = idle.billing_currency
    window endpoint_day as (
        partition by joined.usage_date, joined.account_id, joined.region, joined.endpoint_name, joined.billing_currency
    )
),

idle_parts as (
    select
        *,
        case
            when coalesce(endpoint_inference_cost, 0) = 0 then 0
            else cast(round(endpoint_idle_cost * (inference_cost / endpoint_inference_cost), 10) as decimal(38, 10))
        end as idle_part
    from with_idle
),

balanced as (
    select
        *,
        case
            when inference_cost is null then null
            when coalesce(endpoint_inference_cost, 0) = 0 then 0
            when idle_rank = 1
                then endpoint_idle_cost - (
                    sum(idle_part) over (
                        partition by usage_date, account_id, region, endpoint_name, billing_currency
                    ) - idle_part
                )
            else idle_part
        end as idle_cost
    from idle_parts
),

-- GPU utilization of the endpoint's instances over the day (instance-weighted hourly averages).
daily_gpu as (
    select
        usage_date,
        endpoint_name,
        account_id,
        region,
        sum(gpu_utilization_pct * instance_count) / sum(instance_count) as gpu_utilization_pct
    from utilization
    where gpu_utilization_pct is not null
    group by usage_date, endpoint_name, account_id, region
),

-- A day's bill is complete once the billing period's data covers the whole day
-- (int_billing_periods.data_through_date: some line's charge period reaches the next midnight).
with_status as (
    select
        balanced.*,
        daily_gpu.gpu_utilization_pct,
        coalesce(balanced.usage_date <= billing_periods.data_through_date, false) as is_bill_complete
    from balanced
    left join billing_periods
        on cast(date_trunc('month', balanced.usage_date) as date) = billing_periods.billing_period
    left join daily_gpu
        on
            balanced.usage_date = daily_gpu.usage_date
            and balanced.endpoint_name = daily_gpu.endpoint_name
            and coalesce(balanced.account_id, '') = coalesce(daily_gpu.account_id, '')
            and coalesce(balanced.region, '') = coalesce(daily_gpu.region, '')
),

reasoned as (
    select
        *,
        -- An incomplete day is not settled either way: neither its cost nor its count is final.
        case
            when not is_bill_complete then 'bill_not_complete'
            when predictions = 0 then 'no_predictions'
            when coalesce(inference_cost, 0) = 0 then 'no_cost_billed'
        end as cost_per_prediction_reason
    from with_status
),

final as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        model_name,
        billing_currency,
        is_bill_complete,
        cast(predictions as bigint) as predictions,
        instance_hours,
        case when instance_hours > 0 then predictions / instance_hours end as predictions_per_instance_hour,
        -- NULL, never 0, on a row without a cost line (no currency either): cost_per_prediction_reason
        -- says whether the bill has not arrived or billed nothing.
        cast(inference_cost as decimal(38, 10)) as inference_cost,
        cast(idle_cost as decimal(38, 10)) as idle_cost,
        cast(inference_cost - idle_cost as decimal(38, 10)) as usage_cost,
        idle_basis,
        utilization_pct,
        gpu_utilization_pct,
        cost_per_prediction_reason,
        -- Divided exactly in DECIMAL (truncated at the 10th decimal); NULL with a reason, never 0.
        case
            when cost_per_prediction_reason is null then {{ divide_money('inference_cost', 'predictions') }}
        end as cost_per_prediction,
        case
            when cost_per_prediction_reason is null then {{ divide_money('inference_cost * 1000', 'predictions') }}
        end as cost_per_1k_predictions,
        case
            when cost_per_prediction_reason is null then {{ divide_money('(inference_cost - idle_cost) * 1000', 'predictions') }}
        end as usage_cost_per_1k_predictions
    from reasoned
)

select * from final
