-- One row per Bedrock resource that CloudWatch reports tokens under but whose ARN names no model:
-- application inference profiles, provisioned models (provisioned throughput) and custom or
-- imported models. What it is, per the bill's lines billed on it: its model (from their usage types
-- or Marketplace product), application and team, each only when the lines agree (never a guess).
with

costs as (
    select * from {{ ref('int_bedrock_costs__attributed') }}
),

final as (
    select
        lower(resource_id) as resource_key,
        min(resource_kind) as resource_kind,
        min(inference_profile_id) as inference_profile_id,
        case
            when count(distinct model_name) filter (where model_name <> 'unattributed') = 1
                then min(model_name) filter (where model_name <> 'unattributed')
        end as model_name,
        case when count(distinct application) = 1 then min(application) end as application,
        case
            when count(distinct team) filter (where team <> 'unattributed') = 1
                then min(team) filter (where team <> 'unattributed')
        end as team,
        bool_or(usage_kind = 'provisioned_throughput') as is_provisioned_throughput
    from costs
    where resource_kind in ('application_inference_profile', 'provisioned_model', 'custom_model', 'imported_model')
    group by lower(resource_id)
)

select * from final
