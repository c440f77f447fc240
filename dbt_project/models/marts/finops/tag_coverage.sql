-- One row per billing period, billing currency, service, account and resource: how much of its cost
-- carries a model tag, a team tag, neither, and its rank among the period's resources by cost
-- without either tag (1 = the most expensive untagged resource), so teams know what to tag first.
-- Tags only: cost that SageMaker metadata attributes still counts as untagged here. Per period and
-- currency effective_cost sums to the bill (split cost allocation rows excluded).
with

line_items as (
    select * from {{ ref('int_line_items__daily') }}
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
    group by all
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
        line_items
    from resources
)

select * from final
