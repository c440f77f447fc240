-- What 1,000 records of batch transform cost per model, over the jobs whose cost per 1,000 records is
-- known (completed, billed through their last day, records counted), with the jobs still waiting
-- for a figure and why. Amounts are amortized cost; currencies are never added together.
select
    model_name,
    billing_currency,
    count(*) filter (where cost_per_1k_records is not null) as jobs,
    sum(records) filter (where cost_per_1k_records is not null) as records,
    round(sum(effective_cost) filter (where cost_per_1k_records is not null), 2) as effective_cost,
    round(
        1000 * sum(effective_cost) filter (where cost_per_1k_records is not null)
        / nullif(sum(records) filter (where cost_per_1k_records is not null), 0),
        4
    ) as cost_per_1k_records,
    count(*) filter (where cost_per_1k_records is null) as jobs_without_figure,
    string_agg(distinct cost_per_1k_records_reason, ', ' order by cost_per_1k_records_reason) as reasons
from marts.transform_job_costs
group by model_name, billing_currency
order by model_name, billing_currency
