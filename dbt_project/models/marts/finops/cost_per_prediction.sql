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

-- All inference cost, so the mart reconciles with cost_by_model; inference that ran on no
-- endpoint (batch transform, unmatched ARNs) has endpoint_name 'unattributed'.
inference_costs as (
    select
        usage_date,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        model_name,
        sum(effective_cost) as inference_cost
    from costs
    where category = 'inference'
    group by all
),

daily_predictions as (
    select
        usage_date,
        coalesce(endpoint_name, 'unattributed') as endpoint_name,
        coalesce(model_name, 'unattributed') as model_name,
        sum(predictions) as predictions
    from predictions
    group by all
),

joined as (
    select
        coalesce(inference_costs.usage_date, daily_predictions.usage_date) as usage_date,
        coalesce(inference_costs.endpoint_name, daily_predictions.endpoint_name) as endpoint_name,
        coalesce(inference_costs.model_name, daily_predictions.model_name) as model_name,
        coalesce(daily_predictions.predictions, 0) as predictions,
        coalesce(inference_costs.inference_cost, 0) as inference_cost
    from inference_costs
    full outer join daily_predictions
        on
            inference_costs.usage_date = daily_predictions.usage_date
            and inference_costs.endpoint_name = daily_predictions.endpoint_name
            and inference_costs.model_name = daily_predictions.model_name
),

-- An endpoint's idle cost is shared between its models like the rest of its cost.
with_idle as (
    select
        joined.*,
        case
            when sum(joined.inference_cost) over (partition by joined.usage_date, joined.endpoint_name) = 0 then 0
            else
                coalesce(idle.idle_cost, 0) * joined.inference_cost
                / sum(joined.inference_cost) over (partition by joined.usage_date, joined.endpoint_name)
        end as idle_cost
    from joined
    left join idle
        on
            joined.usage_date = idle.usage_date
            and joined.endpoint_name = idle.endpoint_name
),

final as (
    select
        usage_date,
        endpoint_name,
        model_name,
        cast(predictions as bigint) as predictions,
        cast(inference_cost as decimal(38, 10)) as inference_cost,
        cast(idle_cost as decimal(38, 10)) as idle_cost,
        -- NULL, not 0, when nothing was predicted: the cost per prediction is unknown, not free.
        cast(inference_cost / nullif(predictions, 0) as decimal(38, 10)) as cost_per_prediction,
        cast(inference_cost * 1000 / nullif(predictions, 0) as decimal(38, 10)) as cost_per_1k_predictions
    from with_idle
)

select * from final
