-- How much of the bill has no owner, per billing period, currency and category: the share of
-- amortized cost whose model, team and project are all unknown in the direct view
-- (marts.cost_attribution), the share owned only by an account rule (OWNERS_FILE, attribution_source
-- `account_rule`: no tag or SageMaker metadata said), and the share with no model. Without the rules
-- the cost without owner would be the first two added. The allocated view (marts.cost_allocated)
-- has no such cost by construction; marts.tag_coverage names the resources to tag.
select
    billing_period,
    billing_currency,
    category,
    round(sum(effective_cost), 2) as effective_cost,
    round(
        100.0 * sum(effective_cost) / sum(sum(effective_cost)) over (partition by billing_period, billing_currency), 1
    ) as pct_of_bill,
    round(
        100.0 * coalesce(sum(effective_cost) filter (
            where model_name = 'unattributed' and team = 'unattributed' and project = 'unattributed'
        ), 0) / nullif(sum(effective_cost), 0),
        1
    ) as pct_without_owner,
    round(
        100.0 * coalesce(sum(effective_cost) filter (where attribution_source = 'account_rule'), 0)
        / nullif(sum(effective_cost), 0),
        1
    ) as pct_owned_by_account_rule,
    round(
        100.0 * coalesce(sum(effective_cost) filter (where model_name = 'unattributed'), 0)
        / nullif(sum(effective_cost), 0),
        1
    ) as pct_without_model
from marts.cost_attribution
group by billing_period, billing_currency, category
order by billing_period desc, billing_currency asc, sum(effective_cost) desc
