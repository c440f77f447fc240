-- One row per billing period, billing currency, service, account and resource: how much of its cost
-- carries a model tag, a team tag, neither, and its rank among the period's resources by cost
-- without either tag (1 = the most expensive untagged resource), so teams know what to tag first.
-- Tags on the bill only: cost that SageMaker metadata or the resource's current tags (tagging API)
-- attribute still counts as untagged here; has_resource_tags_not_on_bill says which resources only
-- need their tag keys activated as cost allocation tags. Per period and
-- currency effective_cost sums to the bill (split cost allocation rows excluded).
with

line_items as (
    select * from {{ ref('int_line_items__daily') }}
),

tagged_owners as (
    select * from {{ ref('int_resource_tags__owners') }}
    where attribution_source = 'tagging_api'
),

resources as (
    select
        billing_period,
        billing_currency,
        coalesce(service_name, service_code, 'unknown') as service_name,
        sub_account_id,
        resource_id,
        sum(effective_cost) as effective_cost,
        sum(effective_cost) filter (where tag_model_name is not null) as model_tagged_cost,
        sum(effective_cost) filter (where tag_team is not null) as team_tagged_cost,
        sum(effective_cost) filter (where tag_model_name is null and tag_team is null) as untagged_cost,
        cast(sum(line_items) as bigint) as line_items
    from line_items
    group by billing_period, billing_currency, coalesce(service_name, service_code, 'unknown'), sub_account_id, resource_id
),

-- The resource carries model or team tags that never reached the bill (tagging API): activate
-- those keys as cost allocation tags rather than tag it again.
flagged as (
    select
        resources.*,
        coalesce(tagged_owners.model_name, tagged_owners.team) is not null as has_resource_tags_not_on_bill
    from resources
    left join tagged_owners
        on
            resources.sub_account_id = tagged_owners.account_id
            and lower(resources.resource_id) = tagged_owners.owner_key
            and coalesce(resources.untagged_cost, 0) > 0
),

final as (
    select
        billing_period,
        billing_currency,
        service_name,
        sub_account_id,
        resource_id,
        effective_cost,
        coalesce(model_tagged_cost, 0) as model_tagged_cost,
        coalesce(team_tagged_cost, 0) as team_tagged_cost,
        coalesce(untagged_cost, 0) as untagged_cost,
        -- A ratio, not money: DOUBLE rounded to 4 decimals; NULL when the resource cost nothing.
        round(100.0 * coalesce(untagged_cost, 0) / nullif(effective_cost, 0), 4) as untagged_pct,
        case
            when resource_id is not null and coalesce(untagged_cost, 0) > 0
                then row_number() over (
                    partition by billing_period, billing_currency, resource_id is not null and coalesce(untagged_cost, 0) > 0
                    order by untagged_cost desc, service_name asc, sub_account_id asc, resource_id asc
                )
        end as untagged_rank,
        has_resource_tags_not_on_bill,
        line_items
    from flagged
)

select * from final
