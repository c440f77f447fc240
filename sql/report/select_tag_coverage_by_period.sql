-- Share of each billing period's cost that carries a model tag, a team tag, or neither (tags only;
-- SageMaker metadata is not a tag), per currency: what cost allocation tags still have to cover.
select
    billing_period,
    billing_currency,
    sum(effective_cost) as effective_cost,
    sum(model_tagged_cost) as model_tagged_cost,
    sum(team_tagged_cost) as team_tagged_cost,
    sum(untagged_cost) as untagged_cost,
    sum(model_tagged_cost) / nullif(sum(effective_cost), 0) as model_tagged_share,
    sum(team_tagged_cost) / nullif(sum(effective_cost), 0) as team_tagged_share,
    sum(untagged_cost) / nullif(sum(effective_cost), 0) as untagged_share
from marts.tag_coverage
group by billing_period, billing_currency
order by billing_period asc, billing_currency asc
