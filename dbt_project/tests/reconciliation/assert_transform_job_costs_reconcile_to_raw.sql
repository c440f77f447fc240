-- A row here is a billing currency whose batch transform cost in marts.transform_job_costs differs
-- from the bill's lines whose resource is a SageMaker transform job (raw.billing_line_items, split
-- cost allocation rows excluded): a job's cost was lost or counted twice. Compared exactly: both
-- sides are DECIMAL(38, 10) sums. (Against raw, not cost_attribution, so a build of a subset that
-- includes cost_attribution but not this mart does not run it.)

-- Shown in Dagster as a check on transform_job_costs.
{{ config(meta={'dagster': {'ref': {'name': 'transform_job_costs'}}}) }}
with

per_job as (
    select billing_currency, sum(effective_cost) as effective_cost, sum(billed_cost) as billed_cost
    from {{ ref('transform_job_costs') }}
    where billing_currency is not null
    group by billing_currency
),

billed as (
    select billing_currency, sum(effective_cost) as effective_cost, sum(billed_cost) as billed_cost
    from {{ source('raw', 'billing_line_items') }}
    where
        not is_split_cost_allocation
        and lower(resource_id) like 'arn:aws%:sagemaker:%'
        and lower(split_part(split_part(resource_id, ':', 6), '/', 1)) = 'transform-job'
    group by billing_currency
)

select
    coalesce(per_job.billing_currency, billed.billing_currency) as billing_currency,
    per_job.effective_cost as per_job_effective_cost,
    billed.effective_cost as billed_effective_cost
from per_job
full outer join billed
    on per_job.billing_currency = billed.billing_currency
where
    coalesce(per_job.effective_cost, 0) <> coalesce(billed.effective_cost, 0)
    or coalesce(per_job.billed_cost, 0) <> coalesce(billed.billed_cost, 0)
