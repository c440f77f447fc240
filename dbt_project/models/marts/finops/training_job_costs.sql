with

jobs as (
    select * from {{ ref('stg_sagemaker__training_jobs') }}
),

aliases as (
    select * from {{ ref('int_tag_key_aliases__lists') }}
),

costs as (
    select * from {{ ref('cost_attribution') }}
),

billed_jobs as (
    select
        sagemaker_resource_name as training_job_name,
        resource_account_id as account_id,
        resource_region as region,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        -- The attribution the bill got (line tags first) wins over the job's own tags.
        arg_max(nullif(model_name, 'unattributed'), effective_cost) as model_name,
        arg_max(nullif(team, 'unattributed'), effective_cost) as team,
        arg_max(nullif(project, 'unattributed'), effective_cost) as project,
        arg_max(nullif(environment, 'unattributed'), effective_cost) as environment
    from costs
    where sagemaker_resource_type = 'training-job'
    group by all
),

-- What an instance hour of training cost on this bill, to estimate jobs the bill cannot name
-- (ARN missing from the export, or resource IDs not enabled).
hourly_rates as (
    select
        lower(split_part(usage_type, ':', 2)) as instance_type,
        pricing_model = 'spot' as is_spot,
        sum(effective_cost) / nullif(sum(usage_quantity), 0) as hourly_rate
    from costs
    where category = 'training' and usage_type like '%:ml.%' and pricing_model in ('on_demand', 'spot', 'savings_plan')
    group by all
    having sum(usage_quantity) > 0
),

final as (
    select
        jobs.training_job_name,
        jobs.training_job_arn,
        jobs.account_id,
        jobs.region,
        coalesce(billed_jobs.model_name, {{ tag_lookup('jobs.tags', 'aliases.model_name_aliases') }}, 'unattributed') as model_name,
        coalesce(billed_jobs.team, {{ tag_lookup('jobs.tags', 'aliases.team_aliases') }}, 'unattributed') as team,
        coalesce(billed_jobs.project, {{ tag_lookup('jobs.tags', 'aliases.project_aliases') }}, 'unattributed') as project,
        coalesce(billed_jobs.environment, {{ tag_lookup('jobs.tags', 'aliases.environment_aliases') }}, 'unattributed') as environment,
        jobs.status,
        jobs.created_at,
        jobs.started_at,
        jobs.ended_at,
        date_diff('second', jobs.started_at, jobs.ended_at) as duration_seconds,
        jobs.instance_type,
        jobs.instance_count,
        jobs.is_managed_spot,
        jobs.billable_seconds,
        jobs.training_seconds,
        -- Managed spot bills only the seconds it ran: the saving is 1 - billable / training seconds.
        case
            when jobs.is_managed_spot and jobs.training_seconds > 0
                then round(100.0 * (1 - jobs.billable_seconds / jobs.training_seconds), 4)
        end as spot_savings_pct,
        billed_jobs.billed_cost,
        billed_jobs.effective_cost,
        -- BillableTimeInSeconds is per instance: multiply by the instance count.
        cast(
            jobs.billable_seconds * coalesce(jobs.instance_count, 1) / 3600.0
            * coalesce(spot_rate.hourly_rate, on_demand_rate.hourly_rate)
            as decimal(38, 10)
        ) as estimated_cost,
        coalesce(
            billed_jobs.effective_cost,
            cast(
                jobs.billable_seconds * coalesce(jobs.instance_count, 1) / 3600.0
                * coalesce(spot_rate.hourly_rate, on_demand_rate.hourly_rate)
                as decimal(38, 10)
            )
        ) as cost,
        case
            when billed_jobs.effective_cost is not null then 'bill'
            when coalesce(spot_rate.hourly_rate, on_demand_rate.hourly_rate) is not null and jobs.billable_seconds is not null
                then 'estimate'
            else 'unknown'
        end as cost_source,
        jobs.algorithm,
        jobs.tuning_job_name,
        jobs.final_metrics
    from jobs
    cross join aliases
    left join billed_jobs
        on
            jobs.training_job_name = billed_jobs.training_job_name
            and coalesce(jobs.account_id, '') = coalesce(billed_jobs.account_id, '')
            and coalesce(jobs.region, '') = coalesce(billed_jobs.region, '')
    left join hourly_rates as spot_rate
        on
            lower(jobs.instance_type) = spot_rate.instance_type
            and jobs.is_managed_spot
            and spot_rate.is_spot
    left join hourly_rates as on_demand_rate
        on
            lower(jobs.instance_type) = on_demand_rate.instance_type
            and not on_demand_rate.is_spot
)

select * from final
