-- A row here is a billing currency whose batch transform cost in marts.transform_job_costs differs
-- from the transform-job lines of marts.cost_attribution: a job's cost was lost or counted twice.

-- Shown in Dagster as a check on transform_job_costs.
{{ config(meta={'dagster': {'ref': {'name': 'transform_job_costs'}}}) }}
with

per_job as (
    select billing_currency, sum(effective_cost) as effective_cost, sum(billed_cost) as billed_cost,
    from {{ ref('transform_job_costs') }}
    where billing_currency is not null
    group by billing_currency
),

attributed as (
    select billing_currency, sum(effective_cost) as effective_cost, sum(billed_cost) as billed_cost,
    from {{ ref('cost_attribution') }}
    where sagemaker_resource_type = 'transform-job'
    group by billing_currency
)

select
    coalesce(per_job.billing_currency, attributed.billing_currency) as billing_currency,
    per_job.effective_cost as per_job_effective_cost,
    attributed.effective_cost as attributed_effective_cost,
from per_job
full outer join attributed
    on per_job.billing_currency = attributed.billing_currency
where
    coalesce(per_job.effective_cost, 0) <> coalesce(attributed.effective_cost, 0)
    or coalesce(per_job.billed_cost, 0) <> coalesce(attributed.billed_cost, 0)
