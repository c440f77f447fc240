with

line_items as (
    select * from {{ ref('int_line_items__classified') }}
),

resources as (
    select * from {{ ref('int_sagemaker__resource_attribution') }}
),

shares as (
    select * from {{ ref('int_endpoint_model_shares') }}
),

daily as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        service_name,
        service_code,
        usage_type,
        charge_type,
        category,
        pricing_model,
        billing_currency,
        resource_id,
        sagemaker_resource_type,
        sagemaker_resource_name,
        resource_account_id,
        resource_region,
        tag_model_name,
        tag_team,
        tag_project,
        tag_environment,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(usage_quantity) as usage_quantity,
        count(*) as line_items,
    from line_items
    group by all
),

keyed as (
    select row_number() over () as cost_key, *
    from daily
),

-- Evidence 2: the ARN names a SageMaker resource whose metadata we hold.
with_resource as (
    select
        keyed.*,
        resources.model_name as resource_model_name,
        resources.team as resource_team,
        resources.project as resource_project,
        resources.environment as resource_environment,
        resources.attribution_source as resource_attribution_source,
    from keyed
    left join resources
        on keyed.sagemaker_resource_type = resources.resource_type
        and keyed.sagemaker_resource_name = resources.resource_name
        and keyed.resource_account_id is not distinct from resources.account_id
        and keyed.resource_region is not distinct from resources.region
),

-- An endpoint line without a model tag is divided between the endpoint's models: by that day's
-- prediction share when per-model counts exist, else by the variants' instance counts.
with_shares as (
    select
        with_resource.*,
        coalesce(day_shares.model_name, variant_shares.model_name) as share_model_name,
        coalesce(day_shares.share, variant_shares.share, 1) as share,
        coalesce(day_shares.model_count, variant_shares.model_count, 1) as share_model_count,
        day_shares.model_name is not null as is_prediction_share,
    from with_resource
    left join shares as day_shares
        on with_resource.tag_model_name is null
        and with_resource.sagemaker_resource_type = 'endpoint'
        and day_shares.usage_date = with_resource.usage_date
        and day_shares.endpoint_name = with_resource.sagemaker_resource_name
        and day_shares.account_id is not distinct from with_resource.resource_account_id
        and day_shares.region is not distinct from with_resource.resource_region
    left join shares as variant_shares
        on with_resource.tag_model_name is null
        and with_resource.sagemaker_resource_type = 'endpoint'
        and day_shares.model_name is null
        and variant_shares.usage_date is null
        and variant_shares.endpoint_name = with_resource.sagemaker_resource_name
        and variant_shares.account_id is not distinct from with_resource.resource_account_id
        and variant_shares.region is not distinct from with_resource.resource_region
),

-- Each share is rounded to the cent's billionth and the largest share takes the remainder, so
-- the parts of a line always add up to the line exactly.
allocated as (
    select
        *,
        row_number() over (partition by cost_key order by share desc, share_model_name) as share_rank,
        cast(round(billed_cost * share, 10) as decimal(38, 10)) as billed_part,
        cast(round(effective_cost * share, 10) as decimal(38, 10)) as effective_part,
        cast(round(list_cost * share, 10) as decimal(38, 10)) as list_part,
    from with_shares
),

balanced as (
    select
        *,
        case
            when share_rank = 1 then billed_cost - (sum(billed_part) over (partition by cost_key) - billed_part)
            else billed_part
        end as billed_cost_allocated,
        case
            when share_rank = 1 then effective_cost - (sum(effective_part) over (partition by cost_key) - effective_part)
            else effective_part
        end as effective_cost_allocated,
        case
            when share_rank = 1 then list_cost - (sum(list_part) over (partition by cost_key) - list_part)
            else list_part
        end as list_cost_allocated,
    from allocated
),

-- Evidence in order: the line's own tags, the SageMaker resource, else unattributed.
attributed as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        coalesce(service_name, service_code, 'unknown') as service_name,
        service_code,
        usage_type,
        charge_type,
        category,
        pricing_model,
        billing_currency,
        resource_id,
        sagemaker_resource_type,
        sagemaker_resource_name,
        resource_account_id,
        resource_region,
        case when sagemaker_resource_type = 'endpoint' then sagemaker_resource_name end as endpoint_name,
        coalesce(tag_model_name, share_model_name, resource_model_name, 'unattributed') as model_name,
        coalesce(tag_team, resource_team, 'unattributed') as team,
        coalesce(tag_project, resource_project, 'unattributed') as project,
        coalesce(tag_environment, resource_environment, 'unattributed') as environment,
        case
            when tag_model_name is not null then 'line_item_tag'
            when is_prediction_share and share_model_count > 1 then 'sagemaker_endpoint_prediction_share'
            when share_model_name is not null then 'sagemaker_endpoint'
            when resource_model_name is not null then resource_attribution_source
            else 'unattributed'
        end as attribution_source,
        billed_cost_allocated as billed_cost,
        effective_cost_allocated as effective_cost,
        list_cost_allocated as list_cost,
        usage_quantity * share as usage_quantity,
        line_items,
    from balanced
),

final as (
    select
        billing_period,
        usage_date,
        billing_account_id,
        sub_account_id,
        region,
        service_name,
        service_code,
        usage_type,
        charge_type,
        category,
        pricing_model,
        billing_currency,
        resource_id,
        sagemaker_resource_type,
        sagemaker_resource_name,
        resource_account_id,
        resource_region,
        endpoint_name,
        model_name,
        team,
        project,
        environment,
        attribution_source,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(usage_quantity) as usage_quantity,
        cast(sum(line_items) as bigint) as line_items,
    from attributed
    group by all
)

select * from final
