-- How much of the bill has no owner, per billing period, currency and category, with a row for all
-- categories (category `all`) per period: the share of amortized cost whose model, team and project
-- are all unknown in the direct view (marts.cost_attribution), the share owned only by an account
-- rule (OWNERS_FILE, attribution_source `account_rule`: no tag or SageMaker metadata said), and the
-- share with no model. Without the rules the share without owner would be the first two added. The
-- allocated view (marts.cost_allocated) has no cost without owner by construction;
-- marts.tag_coverage names the resources to tag.
with

by_category as (
    select
        billing_period,
        billing_currency,
        category,
        false as is_all,
        sum(effective_cost) as effective_cost,
        coalesce(sum(effective_cost) filter (
            where model_name = 'unattributed' and team = 'unattributed' and project = 'unattributed'
        ), 0) as without_owner,
        coalesce(sum(effective_cost) filter (where attribution_source = 'account_rule'), 0) as account_rule,
        coalesce(sum(effective_cost) filter (where model_name = 'unattributed'), 0) as without_model
    from marts.cost_attribution
    group by billing_period, billing_currency, category
),

shares as (
    select * from by_category
    union all
    select
        billing_period,
        billing_currency,
        'all' as category,
        true as is_all,
        sum(effective_cost) as effective_cost,
        sum(without_owner) as without_owner,
        sum(account_rule) as account_rule,
        sum(without_model) as without_model
    from by_category
    group by billing_period, billing_currency
)

select
    billing_period,
    billing_currency,
    category,
    round(effective_cost, 2) as effective_cost,
    round(
        100.0 * effective_cost
        / nullif(max(effective_cost) filter (where is_all) over (partition by billing_period, billing_currency), 0),
        1
    ) as pct_of_bill,
    round(100.0 * without_owner / nullif(effective_cost, 0), 1) as pct_without_owner,
    round(100.0 * account_rule / nullif(effective_cost, 0), 1) as pct_owned_by_account_rule,
    round(100.0 * without_model / nullif(effective_cost, 0), 1) as pct_without_model
from shares
order by billing_period desc, billing_currency asc, is_all desc, effective_cost desc
