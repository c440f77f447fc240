-- One row per tag key as written in the exports (`user:Team`, `user_TEAM`, `Model`, ...): the key
-- it normalizes to, the attribute it feeds (model_name, team, project, environment or none), how
-- many spellings share that normalized key, and the lines and cost that carry it. Teams fix their
-- tagging from here: several spellings, or a key no alias names, show up at once.
with

line_items as (
    select * from {{ ref('stg_aws_cur__line_items') }}
),

tag_sets as (
    select * from {{ ref('stg_aws_cur__tag_sets') }}
),

aliases as (
    select * from {{ ref('tag_key_aliases') }}
),

-- Lines and cost per tag set first (an integer key), then each set's keys: an export has few sets,
-- so the keys are unnested a handful of times.
set_costs as (
    select
        tag_set_id,
        billing_currency,
        count(*) as line_items,
        sum(effective_cost) as effective_cost,
        min(billing_period) as first_billing_period,
        max(billing_period) as last_billing_period
    from line_items
    where not is_split_cost_allocation
    group by tag_set_id, billing_currency
),

tagged as (
    select
        set_costs.billing_currency,
        set_costs.line_items,
        set_costs.effective_cost,
        set_costs.first_billing_period,
        set_costs.last_billing_period,
        tag_sets.tags_original
    from set_costs
    inner join tag_sets on set_costs.tag_set_id = tag_sets.tag_set_id
    where cardinality(tag_sets.tags_original) > 0
),

keys as (
    select
        tag_keys.original_key,
        tagged.billing_currency,
        tagged.line_items,
        tagged.effective_cost,
        tagged.first_billing_period,
        tagged.last_billing_period
    from tagged
    {{ unnest_join('map_keys(tagged.tags_original)', 'tag_keys', 'original_key') }}
),

by_key as (
    select
        original_key,
        -- The ingest's normalization (pipelines/lib/billing/normalize.py, mlcost_tag_key).
        lower({{ regex_replace('trim(original_key)', "'(?i)^(user:|user_)'", "''") }}) as normalized_key,
        billing_currency,
        sum(line_items) as line_items,
        sum(effective_cost) as effective_cost,
        min(first_billing_period) as first_billing_period,
        max(last_billing_period) as last_billing_period
    from keys
    group by original_key, billing_currency
),

spellings as (
    select
        normalized_key,
        count(distinct original_key) as spellings
    from by_key
    group by normalized_key
),

final as (
    select
        by_key.original_key,
        by_key.normalized_key,
        (
            select min(lower(aliases.attribute)) from aliases
            where lower(trim(aliases.alias)) = by_key.normalized_key
        ) as attribute,
        spellings.spellings,
        by_key.billing_currency,
        cast(by_key.line_items as bigint) as line_items,
        by_key.effective_cost,
        by_key.first_billing_period,
        by_key.last_billing_period
    from by_key
    inner join spellings on by_key.normalized_key = spellings.normalized_key
)

select * from final
