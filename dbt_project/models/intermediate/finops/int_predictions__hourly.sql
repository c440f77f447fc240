with

-- Records scored by batch transform jobs are not endpoint predictions (marts.transform_job_costs).
counts as (
    select * from {{ ref('stg_predictions__hourly_counts') }}
    where transform_job_name is null
),

variants as (
    select * from {{ ref('stg_sagemaker__endpoint_variants') }}
),

-- Logs may name only the model, or leave out account and region: a model served by one endpoint
-- and an endpoint name used in one account and region are unambiguous.
model_endpoints as (
    select
        model_name,
        min(endpoint_name) as endpoint_name
    from variants
    where model_name is not null
    group by model_name
    having count(distinct endpoint_name) = 1
),

endpoint_locations as (
    select
        endpoint_name,
        min(account_id) as account_id,
        min(region) as region
    from variants
    group by endpoint_name
    having count(distinct account_id) = 1 and count(distinct region) = 1
),

located as (
    select
        counts.hour_start_at,
        counts.usage_date,
        coalesce(counts.endpoint_name, model_endpoints.endpoint_name) as endpoint_name,
        coalesce(counts.account_id, endpoint_locations.account_id) as account_id,
        coalesce(counts.region, endpoint_locations.region) as region,
        counts.variant_name,
        counts.model_name,
        counts.predictions,
        counts.source
    from counts
    left join model_endpoints
        on
            counts.endpoint_name is null
            and counts.model_name = model_endpoints.model_name
    left join endpoint_locations
        on coalesce(counts.endpoint_name, model_endpoints.endpoint_name) = endpoint_locations.endpoint_name
),

-- Both sources can count the same requests: per endpoint (once located) and hour, prediction
-- logs (which know the model, so multi-model endpoints can be split) win over CloudWatch.
ranked as (
    select
        *,
        dense_rank() over (
            partition by coalesce(endpoint_name, model_name), account_id, region, hour_start_at
            order by case when source = 'prediction_logs' then 0 else 1 end
        ) as source_rank
    from located
),

preferred as (
    select * from ranked
    where source_rank = 1
),

variant_models as (
    select
        endpoint_name,
        account_id,
        region,
        variant_name,
        min(model_name) as model_name
    from variants
    group by endpoint_name, account_id, region, variant_name
),

-- An endpoint whose variants all serve one model: every unlabelled count belongs to it.
endpoint_single_model as (
    select
        endpoint_name,
        account_id,
        region,
        min(model_name) as model_name
    from variants
    group by endpoint_name, account_id, region
    having count(distinct model_name) = 1
),

final as (
    select
        preferred.hour_start_at,
        preferred.usage_date,
        preferred.endpoint_name,
        preferred.account_id,
        preferred.region,
        coalesce(preferred.model_name, variant_models.model_name, endpoint_single_model.model_name) as model_name,
        sum(preferred.predictions) as predictions
    from preferred
    left join variant_models
        on
            preferred.endpoint_name = variant_models.endpoint_name
            and preferred.variant_name = variant_models.variant_name
            and coalesce(preferred.account_id, '') = coalesce(variant_models.account_id, '')
            and coalesce(preferred.region, '') = coalesce(variant_models.region, '')
    left join endpoint_single_model
        on
            preferred.endpoint_name = endpoint_single_model.endpoint_name
            and coalesce(preferred.account_id, '') = coalesce(endpoint_single_model.account_id, '')
            and coalesce(preferred.region, '') = coalesce(endpoint_single_model.region, '')
    group by
        preferred.hour_start_at, preferred.usage_date, preferred.endpoint_name, preferred.account_id, preferred.region,
        coalesce(preferred.model_name, variant_models.model_name, endpoint_single_model.model_name)
)

select * from final
