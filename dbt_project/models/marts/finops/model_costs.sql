-- One row per model and billing currency: what training the model cost (every job, tuning trials
-- and failures included), what serving it cost over the days whose bill is complete, and the
-- final metrics of its latest completed training job, so training plus inference cost can be
-- weighed against what the model achieves. A model is the SageMaker model name its costs are
-- attributed to (each SageMaker model is one deployable version).
with

training as (
    select * from {{ ref('training_job_costs') }}
),

serving as (
    select * from {{ ref('cost_per_prediction') }}
),

training_totals as (
    select
        model_name,
        billing_currency,
        count(*) as training_jobs,
        sum(cost) as training_cost,
        sum(spot_savings_cost) as spot_savings_cost,
        sum(wasted_cost) as wasted_training_cost,
        max(ended_at) filter (where status = 'Completed') as last_trained_at
    from training
    where billing_currency is not null
    group by model_name, billing_currency
),

-- The latest completed job; of jobs that ended at the same moment, the last by name, so every build
-- and engine picks the same one.
latest_completed as (
    select
        model_name,
        billing_currency,
        training_job_name,
        final_metrics,
        row_number() over (
            partition by model_name, billing_currency
            order by ended_at desc, training_job_name desc
        ) as recency
    from training
    where billing_currency is not null and status = 'Completed' and ended_at is not null
),

-- Only days with a cost per prediction: complete bills, with predictions and cost.
serving_totals as (
    select
        model_name,
        billing_currency,
        sum(predictions) as predictions,
        sum(inference_cost) as inference_cost,
        sum(usage_cost) as inference_usage_cost,
        sum(idle_cost) as inference_idle_cost,
        min(usage_date) as first_served_date,
        max(usage_date) as last_served_date
    from serving
    where cost_per_prediction_reason is null
    group by model_name, billing_currency
),

final as (
    select
        coalesce(training_totals.model_name, serving_totals.model_name) as model_name,
        coalesce(training_totals.billing_currency, serving_totals.billing_currency) as billing_currency,
        coalesce(training_totals.training_jobs, 0) as training_jobs,
        coalesce(training_totals.training_cost, 0) as training_cost,
        coalesce(training_totals.spot_savings_cost, 0) as spot_savings_cost,
        coalesce(training_totals.wasted_training_cost, 0) as wasted_training_cost,
        training_totals.last_trained_at,
        latest_completed.training_job_name as latest_training_job_name,
        latest_completed.final_metrics as latest_final_metrics,
        coalesce(serving_totals.predictions, 0) as predictions,
        coalesce(serving_totals.inference_cost, 0) as inference_cost,
        coalesce(serving_totals.inference_usage_cost, 0) as inference_usage_cost,
        coalesce(serving_totals.inference_idle_cost, 0) as inference_idle_cost,
        serving_totals.first_served_date,
        serving_totals.last_served_date,
        coalesce(training_totals.training_cost, 0) + coalesce(serving_totals.inference_cost, 0) as total_cost,
        -- Training spread over the predictions served so far: NULL (not 0) when nothing was served.
        case
            when serving_totals.predictions > 0
                then {{ divide_money('(coalesce(training_totals.training_cost, 0) + serving_totals.inference_cost) * 1000', 'serving_totals.predictions') }}
        end as total_cost_per_1k_predictions
    from training_totals
    left join latest_completed
        on
            training_totals.model_name = latest_completed.model_name
            and training_totals.billing_currency = latest_completed.billing_currency
            and latest_completed.recency = 1
    full outer join serving_totals
        on
            training_totals.model_name = serving_totals.model_name
            and training_totals.billing_currency = serving_totals.billing_currency
)

select * from final
