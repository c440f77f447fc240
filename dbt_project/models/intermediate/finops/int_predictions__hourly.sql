with

counts as (
    select * from {{ ref('stg_predictions__hourly_counts') }}
),

variants as (
    select * from {{ ref('stg_sagemaker__endpoint_variants') }}
),

-- Both sources can count the same requests: per endpoint and hour, prediction logs (which know
-- the model, so multi-model endpoints can be split) win over CloudWatch invocations.
preferred as (
    select *
    from counts
    qualify dense_rank() over (
        partition by coalesce(endpoint_name, model_name), hour_start_at
        order by case when source = 'prediction_logs' then 0 else 1 end
    ) = 1
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
        preferred.hour_start_at,
        preferred.usage_date,
        coalesce(preferred.endpoint_name, model_endpoints.endpoint_name) as endpoint_name,
        coalesce(preferred.account_id, endpoint_locations.account_id) as account_id,
        coalesce(preferred.region, endpoint_locations.region) as region,
        preferred.variant_name,
        preferred.model_name,
        preferred.predictions
    from preferred
    left join model_endpoints
        on
            preferred.endpoint_name is null
            and preferred.model_name = model_endpoints.model_name
    left join endpoint_locations
        on coalesce(preferred.endpoint_name, model_endpoints.endpoint_name) = endpoint_locations.endpoint_name
),

variant_models as (
    select
        endpoint_name,
        account_id,
        region,
        variant_name,
        min(model_name) as model_name
    from variants
    group by all
),

-- An endpoint whose variants all serve one model: every unlabelled count belongs to it.
endpoint_single_model as (
    select
        endpoint_name,
        account_id,
        region,
        min(model_name) as model_name
    from variants
    group by all
    having count(distinct model_name) = 1
),

final as (
    select
        located.hour_start_at,
        located.usage_date,
        located.endpoint_name,
        located.account_id,
        located.region,
        coalesce(located.model_name, variant_models.model_name, endpoint_single_model.model_name) as model_name,
        sum(located.predictions) as predictions
    from located
    left join variant_models
        on
            located.endpoint_name = variant_models.endpoint_name
            and located.variant_name = variant_models.variant_name
            and coalesce(located.account_id, '') = coalesce(variant_models.account_id, '')
            and coalesce(located.region, '') = coalesce(variant_models.region, '')
    left join endpoint_single_model
        on
            located.endpoint_name = endpoint_single_model.endpoint_name
            and coalesce(located.account_id, '') = coalesce(endpoint_single_model.account_id, '')
            and coalesce(located.region, '') = coalesce(endpoint_single_model.region, '')
    group by all
)

select * from final
