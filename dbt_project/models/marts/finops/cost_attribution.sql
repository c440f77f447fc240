with

line_items as (
    select * from {{ ref('int_line_items__daily') }}
),

resources as (
    select * from {{ ref('int_sagemaker__resource_attribution') }}
),

shares as (
    select * from {{ ref('int_endpoint_model_shares') }}
),

-- Endpoints hosting inference components: each component's reserved share and the unreserved rest
-- (rows with a zero share would only add empty parts).
component_shares as (
    select * from {{ ref('int_endpoint_component_shares') }}
    where share > 0
),

owner_rules as (
    select * from {{ ref('stg_owners__rules') }}
),

tagged_owners as (
    select * from {{ ref('int_resource_tags__owners') }}
),

-- Evidence 2b: the model an Amazon Bedrock line's resource ARN, usage type or Marketplace product
-- names (int_bedrock_usage_types, docs/genai.md).
bedrock_models as (
    select * from {{ ref('int_bedrock_usage_types') }}
    where model_name is not null
),

-- Evidence 3 (the last): the owners file's rule for the line's linked account, service and region,
-- the most specific one that matches (stg_owners__rules.specificity). Looked up once per distinct
-- account, service and region, not per line.
line_scopes as (
    select distinct
        sub_account_id,
        service_code,
        region
    from line_items
    where sub_account_id is not null
),

scope_rule_candidates as (
    select
        line_scopes.sub_account_id,
        line_scopes.service_code,
        line_scopes.region,
        owner_rules.model_name as rule_model_name,
        owner_rules.team as rule_team,
        owner_rules.project as rule_project,
        owner_rules.environment as rule_environment,
        row_number() over (
            partition by line_scopes.sub_account_id, line_scopes.service_code, line_scopes.region
            order by owner_rules.specificity desc
        ) as rule_rank
    from line_scopes
    inner join owner_rules
        on
            line_scopes.sub_account_id = owner_rules.account_id
            and (owner_rules.service_code is null or owner_rules.service_code = lower(line_scopes.service_code))
            and (owner_rules.region is null or owner_rules.region = lower(line_scopes.region))
),

scope_rules as (
    select * from scope_rule_candidates
    where rule_rank = 1
),

-- Evidence 1b: a resource's tags seen on its other lines in the period (tags activated mid-month,
-- or a bucket whose transfer lines come untagged). Used only when they agree: never a guess.
resource_tags as (
    select
        billing_period,
        sub_account_id,
        resource_id,
        case when count(distinct tag_model_name) = 1 then min(tag_model_name) end as model_name,
        case when count(distinct tag_team) = 1 then min(tag_team) end as team,
        case when count(distinct tag_project) = 1 then min(tag_project) end as project,
        case when count(distinct tag_environment) = 1 then min(tag_environment) end as environment
    from line_items
    where resource_id is not null and coalesce(tag_model_name, tag_team, tag_project, tag_environment) is not null
    group by billing_period, sub_account_id, resource_id
),

keyed as (
    select
        {{ row_key() }} as cost_key,
        -- Every column of the line items but their tags, whose owner tags are completed below.
        line_items.billing_period,
        line_items.usage_date,
        line_items.billing_account_id,
        line_items.sub_account_id,
        line_items.region,
        line_items.service_name,
        line_items.service_code,
        line_items.usage_type,
        line_items.charge_type,
        line_items.commitment_discount_id,
        line_items.billing_currency,
        line_items.resource_id,
        line_items.sagemaker_resource_type,
        line_items.sagemaker_resource_name,
        line_items.resource_account_id,
        line_items.resource_region,
        line_items.instance_type,
        line_items.pricing_term,
        line_items.is_month_level_charge,
        line_items.billed_cost,
        line_items.effective_cost,
        line_items.net_effective_cost,
        line_items.list_cost,
        line_items.usage_quantity,
        line_items.line_items,
        line_items.instance_family,
        line_items.accelerator,
        line_items.category,
        line_items.pricing_model,
        line_items.purchase_option,
        line_items.tag_model_name is null and resource_tags.model_name is not null as is_model_from_resource_tags,
        coalesce(line_items.tag_model_name, resource_tags.model_name) as tag_model_name,
        coalesce(line_items.tag_team, resource_tags.team) as tag_team,
        coalesce(line_items.tag_project, resource_tags.project) as tag_project,
        coalesce(line_items.tag_environment, resource_tags.environment) as tag_environment,
        coalesce(line_items.tag_model_name, line_items.tag_team, line_items.tag_project, line_items.tag_environment) is null
        and coalesce(resource_tags.model_name, resource_tags.team, resource_tags.project, resource_tags.environment) is not null
            as is_owner_from_resource_tags
    from line_items
    left join resource_tags
        on
            line_items.billing_period = resource_tags.billing_period
            and line_items.resource_id = resource_tags.resource_id
            and coalesce(line_items.sub_account_id, '') = coalesce(resource_tags.sub_account_id, '')
),

-- Evidence 2: the ARN names a SageMaker resource whose metadata we hold. Joins use plain
-- equality on coalesced keys so DuckDB can hash them.
with_resource as (
    select
        keyed.*,
        resources.model_name as resource_model_name,
        resources.team as resource_team,
        resources.project as resource_project,
        resources.environment as resource_environment,
        resources.attribution_source as resource_attribution_source,
        coalesce(resource_owners.model_name, studio_domains.model_name) as api_model_name,
        coalesce(resource_owners.team, studio_domains.team) as api_team,
        coalesce(resource_owners.project, studio_domains.project) as api_project,
        coalesce(resource_owners.environment, studio_domains.environment) as api_environment,
        coalesce(resource_owners.attribution_source, studio_domains.attribution_source) as api_attribution_source,
        bedrock_models.model_name as bedrock_model_name,
        -- only untagged endpoint lines are divided between models
        case
            when keyed.tag_model_name is null and keyed.sagemaker_resource_type = 'endpoint'
                then keyed.sagemaker_resource_name
        end as split_endpoint_name
    from keyed
    left join resources
        on
            keyed.sagemaker_resource_type = resources.resource_type
            and keyed.sagemaker_resource_name = resources.resource_name
            and coalesce(keyed.resource_account_id, '') = coalesce(resources.account_id, '')
            and coalesce(keyed.resource_region, '') = coalesce(resources.region, '')
    -- Evidence 2c: the tags the resource carries now (tagging API), for lines whose tags never
    -- reached the bill; a Studio app (app/<domain-id>/<user profile or space>/...) takes its user
    -- profile's or space's owner, else its domain's.
    left join tagged_owners as resource_owners
        on
            coalesce(keyed.resource_account_id, keyed.sub_account_id) = resource_owners.account_id
            and (
                case
                    when keyed.sagemaker_resource_type = 'app'
                        then 'studio:' || keyed.sagemaker_resource_name || '/' || lower(split_part(keyed.resource_id, '/', 3))
                    else lower(keyed.resource_id)
                end
            ) = resource_owners.owner_key
    left join tagged_owners as studio_domains
        on
            keyed.sagemaker_resource_type = 'app'
            and keyed.resource_account_id = studio_domains.account_id
            and 'studio:' || keyed.sagemaker_resource_name = studio_domains.owner_key
    left join bedrock_models
        on
            coalesce(keyed.service_code, '') = coalesce(bedrock_models.service_code, '')
            and coalesce(keyed.service_name, '') = coalesce(bedrock_models.service_name, '')
            and coalesce(keyed.usage_type, '') = bedrock_models.usage_type
            and coalesce(keyed.resource_id, '') = coalesce(bedrock_models.resource_id, '')
),

day_shares as (
    select * from shares
    where usage_date is not null
),

variant_shares as (
    select * from shares
    where usage_date is null
),

-- An endpoint line without a model tag is divided between the endpoint's models, by the first of:
-- the compute its inference components reserved that day (the unreserved rest a part of its own),
-- that day's prediction share when per-model counts exist, the variants' instance counts.
with_component_shares as (
    select
        with_resource.*,
        component_shares.model_name as component_model_name,
        component_shares.share as component_share,
        component_shares.is_unreserved as is_unreserved_capacity
    from with_resource
    left join component_shares
        on
            with_resource.split_endpoint_name = component_shares.endpoint_name
            and with_resource.usage_date = component_shares.usage_date
            and coalesce(with_resource.resource_account_id, '') = coalesce(component_shares.account_id, '')
            and coalesce(with_resource.resource_region, '') = coalesce(component_shares.region, '')
),

with_day_shares as (
    select
        with_component_shares.*,
        day_shares.model_name as day_model_name,
        day_shares.share as day_share,
        day_shares.model_count as day_model_count
    from with_component_shares
    left join day_shares
        on
            (case when with_component_shares.component_share is null then with_component_shares.split_endpoint_name end)
            = day_shares.endpoint_name
            and with_component_shares.usage_date = day_shares.usage_date
            and coalesce(with_component_shares.resource_account_id, '') = coalesce(day_shares.account_id, '')
            and coalesce(with_component_shares.resource_region, '') = coalesce(day_shares.region, '')
),

with_shares as (
    select
        with_day_shares.*,
        coalesce(with_day_shares.component_model_name, with_day_shares.day_model_name, variant_shares.model_name)
            as share_model_name,
        coalesce(with_day_shares.component_share, with_day_shares.day_share, variant_shares.share, 1) as share,
        coalesce(with_day_shares.day_model_count, variant_shares.model_count, 1) as share_model_count,
        with_day_shares.day_model_name is not null as is_prediction_share,
        with_day_shares.component_share is not null as is_component_share
    from with_day_shares
    left join variant_shares
        on
            (
                case
                    when with_day_shares.day_model_name is null and with_day_shares.component_share is null
                        then with_day_shares.split_endpoint_name
                end
            )
            = variant_shares.endpoint_name
            and coalesce(with_day_shares.resource_account_id, '') = coalesce(variant_shares.account_id, '')
            and coalesce(with_day_shares.resource_region, '') = coalesce(variant_shares.region, '')
),

-- Each share is rounded to the cent's billionth and the largest share takes the remainder, so
-- the parts of a line always add up to the line exactly.
allocated as (
    select
        *,
        cast(round(billed_cost * share, 10) as decimal(38, 10)) as billed_part,
        cast(round(effective_cost * share, 10) as decimal(38, 10)) as effective_part,
        cast(round(net_effective_cost * share, 10) as decimal(38, 10)) as net_effective_part,
        cast(round(list_cost * share, 10) as decimal(38, 10)) as list_part
    from with_shares
),

-- Most lines are not divided: only a line with several rows needs its rows ranked and balanced by
-- windows (over every line they were half this model's time on a 5-million-line month). A line
-- with one row is its own largest share and takes the same remainder arithmetic.
line_rows as (
    select
        cost_key,
        count(*) as line_rows
    from with_shares
    group by cost_key
),

balanced as (
    select
        allocated.*,
        1 as share_rank,
        allocated.billed_cost - (allocated.billed_part - allocated.billed_part) as billed_cost_allocated,
        allocated.effective_cost - (allocated.effective_part - allocated.effective_part) as effective_cost_allocated,
        allocated.net_effective_cost - (allocated.net_effective_part - allocated.net_effective_part)
            as net_effective_cost_allocated,
        allocated.list_cost - (allocated.list_part - allocated.list_part) as list_cost_allocated
    from allocated
    inner join line_rows on allocated.cost_key = line_rows.cost_key
    where line_rows.line_rows = 1

    union all

    select
        ranked.*,
        case
            when share_rank = 1 then billed_cost - (sum(billed_part) over (partition by cost_key) - billed_part)
            else billed_part
        end as billed_cost_allocated,
        case
            when share_rank = 1 then effective_cost - (sum(effective_part) over (partition by cost_key) - effective_part)
            else effective_part
        end as effective_cost_allocated,
        case
            when share_rank = 1 then net_effective_cost - (sum(net_effective_part) over (partition by cost_key) - net_effective_part)
            else net_effective_part
        end as net_effective_cost_allocated,
        case
            when share_rank = 1 then list_cost - (sum(list_part) over (partition by cost_key) - list_part)
            else list_part
        end as list_cost_allocated
    from (
        select
            allocated.*,
            row_number() over (
                partition by allocated.cost_key order by allocated.share desc, allocated.share_model_name asc
            ) as share_rank
        from allocated
        inner join line_rows on allocated.cost_key = line_rows.cost_key
        where line_rows.line_rows > 1
    ) as ranked
),

-- An account rule owns a line only when neither tags nor SageMaker metadata name a model, team or
-- project, and only usage: tax, credits, fees and unused commitments stay shared cost here and are
-- shared out in marts.cost_allocated.
ruled as (
    select
        balanced.*,
        scope_rules.rule_model_name,
        scope_rules.rule_team,
        scope_rules.rule_project,
        scope_rules.rule_environment,
        scope_rules.sub_account_id is not null
        and coalesce(
            balanced.tag_model_name, balanced.tag_team, balanced.tag_project, balanced.share_model_name,
            balanced.resource_model_name, balanced.resource_team, balanced.resource_project, balanced.bedrock_model_name,
            balanced.api_model_name, balanced.api_team, balanced.api_project
        ) is null
        and {{ shared_cost_reason('balanced.purchase_option', 'balanced.charge_type', 'balanced.commitment_discount_id', 'balanced.service_code') }} = 'untagged_usage'
            as is_account_rule
    from balanced
    left join scope_rules
        on
            balanced.sub_account_id = scope_rules.sub_account_id
            and coalesce(balanced.service_code, '') = coalesce(scope_rules.service_code, '')
            and coalesce(balanced.region, '') = coalesce(scope_rules.region, '')
),

-- Evidence in order: the line's own tags, the SageMaker resource, the resource's current tags (tagging
-- API; Studio apps through their user profile, space or domain), the account rule, else unattributed.
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
        is_month_level_charge,
        category,
        pricing_model,
        purchase_option,
        instance_type,
        instance_family,
        accelerator,
        billing_currency,
        resource_id,
        commitment_discount_id,
        sagemaker_resource_type,
        sagemaker_resource_name,
        resource_account_id,
        resource_region,
        case when sagemaker_resource_type = 'endpoint' then sagemaker_resource_name end as endpoint_name,
        coalesce(
            tag_model_name, share_model_name, resource_model_name, bedrock_model_name, api_model_name,
            case when is_account_rule then rule_model_name end, 'unattributed'
        ) as model_name,
        coalesce(tag_team, resource_team, api_team, case when is_account_rule then rule_team end, 'unattributed') as team,
        coalesce(
            tag_project, resource_project, api_project, case when is_account_rule then rule_project end, 'unattributed'
        ) as project,
        coalesce(
            tag_environment, resource_environment, api_environment, case when is_account_rule then rule_environment end,
            'unattributed'
        ) as environment,
        case
            -- Said first so it is never mistaken for a tag: the owner came from OWNERS_FILE alone.
            when is_account_rule then 'account_rule'
            when is_model_from_resource_tags then 'resource_tag'
            when tag_model_name is not null then 'line_item_tag'
            when is_component_share and not is_unreserved_capacity then 'sagemaker_inference_component'
            -- The capacity no component reserved: the endpoint's own model evidence, if any, owns it.
            when is_unreserved_capacity and resource_model_name is null and api_model_name is null
                then 'sagemaker_inference_component_unreserved'
            when is_prediction_share and share_model_count > 1 then 'sagemaker_endpoint_prediction_share'
            when share_model_name is not null then 'sagemaker_endpoint'
            when resource_model_name is not null then resource_attribution_source
            when bedrock_model_name is not null then 'bedrock_model'
            when api_model_name is not null then api_attribution_source
            -- No model, but the owner is known (e.g. a notebook's team): say where that came from.
            when is_owner_from_resource_tags then 'resource_tag'
            when coalesce(tag_team, tag_project, tag_environment) is not null then 'line_item_tag'
            when coalesce(resource_team, resource_project, resource_environment) is not null
                then resource_attribution_source
            when coalesce(api_team, api_project, api_environment) is not null then api_attribution_source
            else 'unattributed'
        end as attribution_source,
        billed_cost_allocated as billed_cost,
        effective_cost_allocated as effective_cost,
        net_effective_cost_allocated as net_effective_cost,
        list_cost_allocated as list_cost,
        usage_quantity * share as usage_quantity,
        line_items
    from ruled
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
        is_month_level_charge,
        category,
        pricing_model,
        purchase_option,
        instance_type,
        instance_family,
        accelerator,
        billing_currency,
        resource_id,
        commitment_discount_id,
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
        sum(net_effective_cost) as net_effective_cost,
        sum(list_cost) as list_cost,
        sum(usage_quantity) as usage_quantity,
        cast(sum(line_items) as bigint) as line_items
    from attributed
    group by
        billing_period, usage_date, billing_account_id, sub_account_id, region, service_name, service_code,
        usage_type, charge_type, is_month_level_charge, category, pricing_model, purchase_option, instance_type,
        instance_family, accelerator, billing_currency, resource_id, commitment_discount_id, sagemaker_resource_type,
        sagemaker_resource_name, resource_account_id, resource_region, endpoint_name, model_name, team, project,
        environment, attribution_source
)

select * from final
