-- How an endpoint's cost divides between the models it serves. Rows with a usage_date come from
-- that day's per-model prediction counts; rows without one (the fallback for days without counts)
-- from the variants' instance counts.
with

predictions as (
    select * from {{ ref('int_predictions__hourly') }}
),

variants as (
    select * from {{ ref('stg_sagemaker__endpoint_variants') }}
),

daily_model_predictions as (
    select
        usage_date,
        endpoint_name,
        account_id,
        region,
        model_name,
        sum(predictions) as predictions
    from predictions
    where model_name is not null
    group by usage_date, endpoint_name, account_id, region, model_name
    having sum(predictions) > 0
),

daily_shares as (
    select
        usage_date,
        endpoint_name,
        account_id,
        region,
        model_name,
        predictions / sum(predictions) over (partition by usage_date, endpoint_name, account_id, region) as share,
        count(*) over (partition by usage_date, endpoint_name, account_id, region) as model_count,
        'prediction_share' as share_source
    from daily_model_predictions
),

variant_weights as (
    select
        endpoint_name,
        account_id,
        region,
        model_name,
        -- Serverless variants have no instances: weigh them as one.
        sum(greatest(coalesce(current_instance_count, initial_instance_count, 1), 1)) as weight
    from variants
    where model_name is not null
    group by endpoint_name, account_id, region, model_name
),

variant_shares as (
    select
        cast(null as date) as usage_date,
        endpoint_name,
        account_id,
        region,
        model_name,
        weight / sum(weight) over (partition by endpoint_name, account_id, region) as share,
        count(*) over (partition by endpoint_name, account_id, region) as model_count,
        'variant_instances' as share_source
    from variant_weights
),

final as (
    select * from daily_shares
    union all
    select * from variant_shares
)

select * from final
