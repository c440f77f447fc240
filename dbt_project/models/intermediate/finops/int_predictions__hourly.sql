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
        partition by endpoint_name, account_id, region, hour_start_at
        order by case when source = 'prediction_logs' then 0 else 1 end
    ) = 1
),

variant_models as (
    select endpoint_name, account_id, region, variant_name, min(model_name) as model_name,
    from variants
    group by all
),

-- An endpoint whose variants all serve one model: every unlabelled count belongs to it.
endpoint_single_model as (
    select endpoint_name, account_id, region, min(model_name) as model_name,
    from variants
    group by all
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
        sum(preferred.predictions) as predictions,
    from preferred
    left join variant_models
        on preferred.endpoint_name = variant_models.endpoint_name
        and preferred.variant_name = variant_models.variant_name
        and preferred.account_id is not distinct from variant_models.account_id
        and preferred.region is not distinct from variant_models.region
    left join endpoint_single_model
        on preferred.endpoint_name = endpoint_single_model.endpoint_name
        and preferred.account_id is not distinct from endpoint_single_model.account_id
        and preferred.region is not distinct from endpoint_single_model.region
    group by all
)

select * from final
