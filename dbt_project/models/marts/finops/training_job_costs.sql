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

host_metrics as (
    select * from {{ ref('stg_sagemaker__training_job_utilization') }}
),

-- How busy the job's instances were: CloudWatch's hourly averages over the job's hosts and hours
-- (summed over GPUs or vCPUs by CloudWatch) per GPU or vCPU of the instance type, 0 to 100.
job_utilization as (
    select
        host_metrics.training_job_name,
        host_metrics.account_id,
        host_metrics.region,
        avg(host_metrics.average) filter (where host_metrics.metric_name = 'GPUUtilization')
        / nullif(any_value({{ instance_gpus('jobs.instance_type') }}), 0) as gpu_utilization_pct,
        avg(host_metrics.average) filter (where host_metrics.metric_name = 'CPUUtilization')
        / nullif(any_value({{ instance_vcpus('jobs.instance_type') }}), 0) as cpu_utilization_pct
    from host_metrics
    inner join jobs
        on
            host_metrics.training_job_name = jobs.training_job_name
            and host_metrics.account_id = jobs.account_id
            and host_metrics.region = jobs.region
    group by host_metrics.training_job_name, host_metrics.account_id, host_metrics.region
),

-- Per job and billing currency: amounts in different currencies are never added up.
billed_jobs as (
    {{ billed_sagemaker_jobs('training') }}
),

-- What an instance hour of training cost on this bill, to estimate jobs the bill cannot name
-- (ARN missing from the export, or resource IDs not enabled).
-- A rate, not an amount: a DOUBLE (usage_quantity is one), turned back into DECIMAL money once
-- multiplied by the job's hours.
hourly_rates as (
    select
        lower(split_part(usage_type, ':', 2)) as instance_type,
        pricing_model = 'spot' as is_spot,
        billing_currency,
        sum(effective_cost) / nullif(sum(usage_quantity), 0) as hourly_rate
    from costs
    where category = 'training' and usage_type like '%:ml.%' and pricing_model in ('on_demand', 'spot', 'savings_plan')
    group by lower(split_part(usage_type, ':', 2)), pricing_model = 'spot', billing_currency
    having sum(usage_quantity) > 0
),

-- The rate for each job in each currency the bill has one in: the spot rate for managed spot
-- jobs when the bill has one, else the on-demand rate.
job_rate_candidates as (
    select
        jobs.training_job_arn,
        hourly_rates.billing_currency,
        hourly_rates.hourly_rate,
        row_number() over (
            partition by jobs.training_job_arn, hourly_rates.billing_currency order by hourly_rates.is_spot desc
        ) as rate_rank
    from jobs
    inner join hourly_rates
        on
            lower(jobs.instance_type) = hourly_rates.instance_type
            and (not hourly_rates.is_spot or jobs.is_managed_spot)
),

job_rates as (
    select * from job_rate_candidates
    where rate_rank = 1
),

-- One row per job and currency of its bill lines; a job the bill does not name gets one row per
-- currency it can be estimated in, or one row without a currency when it cannot be.
job_currencies as (
    select
        jobs.training_job_arn,
        billed_jobs.billing_currency,
        billed_jobs.billed_cost,
        billed_jobs.effective_cost,
        billed_jobs.model_name,
        billed_jobs.team,
        billed_jobs.project,
        billed_jobs.environment
    from jobs
    inner join billed_jobs
        on
            jobs.training_job_name = billed_jobs.training_job_name
            and coalesce(jobs.account_id, '') = coalesce(billed_jobs.account_id, '')
            and coalesce(jobs.region, '') = coalesce(billed_jobs.region, '')
),

unbilled_currencies as (
    select
        jobs.training_job_arn,
        job_rates.billing_currency,
        cast(null as decimal(38, 10)) as billed_cost,
        cast(null as decimal(38, 10)) as effective_cost,
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as team,
        cast(null as {{ dbt.type_string() }}) as project,
        cast(null as {{ dbt.type_string() }}) as environment
    from jobs
    left join job_rates on jobs.training_job_arn = job_rates.training_job_arn
    where not exists (
        select 1 from job_currencies
        where job_currencies.training_job_arn = jobs.training_job_arn
    )
),

job_rows as (
    select * from job_currencies
    union all
    select * from unbilled_currencies
),

costed as (
    select
        jobs.training_job_name,
        jobs.training_job_arn,
        jobs.account_id,
        jobs.region,
        job_rows.billing_currency,
        coalesce(job_rows.model_name, {{ tag_lookup('jobs.tags', 'aliases.model_name_aliases') }}, 'unattributed') as model_name,
        coalesce(job_rows.team, {{ tag_lookup('jobs.tags', 'aliases.team_aliases') }}, 'unattributed') as team,
        coalesce(job_rows.project, {{ tag_lookup('jobs.tags', 'aliases.project_aliases') }}, 'unattributed') as project,
        coalesce(job_rows.environment, {{ tag_lookup('jobs.tags', 'aliases.environment_aliases') }}, 'unattributed') as environment,
        jobs.status,
        jobs.created_at,
        jobs.started_at,
        jobs.ended_at,
        {{ datetime_diff('second', 'jobs.started_at', 'jobs.ended_at') }} as duration_seconds,
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
        job_rows.billed_cost,
        job_rows.effective_cost,
        -- BillableTimeInSeconds is per instance: multiply by the instance count.
        cast(
            jobs.billable_seconds * coalesce(jobs.instance_count, 1) / 3600.0 * job_rates.hourly_rate
            as decimal(38, 10)
        ) as estimated_cost,
        coalesce(
            job_rows.effective_cost,
            cast(
                jobs.billable_seconds * coalesce(jobs.instance_count, 1) / 3600.0 * job_rates.hourly_rate
                as decimal(38, 10)
            )
        ) as cost,
        case
            when job_rows.effective_cost is not null then 'bill'
            when job_rates.hourly_rate is not null and jobs.billable_seconds is not null then 'estimate'
            else 'unknown'
        end as cost_source,
        jobs.algorithm,
        jobs.tuning_job_name,
        jobs.final_metrics,
        jobs.keep_alive_seconds,
        jobs.warm_pool_status,
        jobs.warm_pool_billable_seconds,
        job_utilization.gpu_utilization_pct,
        job_utilization.cpu_utilization_pct,
        -- Warm pool instances are billed on the job at its instance rate while they wait.
        cast(
            jobs.warm_pool_billable_seconds * coalesce(jobs.instance_count, 1) / 3600.0 * job_rates.hourly_rate
            as decimal(38, 10)
        ) as warm_pool_cost
    from jobs
    cross join aliases
    inner join job_rows on jobs.training_job_arn = job_rows.training_job_arn
    left join job_rates
        on
            job_rows.training_job_arn = job_rates.training_job_arn
            and job_rows.billing_currency = job_rates.billing_currency
    left join job_utilization
        on
            jobs.training_job_name = job_utilization.training_job_name
            and jobs.account_id = job_utilization.account_id
            and jobs.region = job_utilization.region
),

-- Dollars, not only percentages. Managed spot bills billable_seconds of the training_seconds the job
-- ran (SageMaker's own saving is 1 - billable / training seconds): its on-demand equivalent is the
-- cost scaled to every training second, divided exactly in DECIMAL. A failed or stopped job's
-- cost bought no model: it is wasted. Jobs of one hyperparameter tuning job roll up to it.
final as (
    select
        *,
        case
            when is_managed_spot and billable_seconds > 0 and training_seconds > billable_seconds
                then {{ divide_money('cost * training_seconds', 'billable_seconds') }}
            else cost
        end as on_demand_equivalent_cost,
        case
            when is_managed_spot and billable_seconds > 0 and training_seconds > billable_seconds
                then {{ divide_money('cost * training_seconds', 'billable_seconds') }} - cost
            when cost is not null then 0
        end as spot_savings_cost,
        status in ('Failed', 'Stopped') as is_wasted,
        case when status in ('Failed', 'Stopped') then cost when cost is not null then 0 end as wasted_cost,
        coalesce(tuning_job_name, training_job_name) as parent_job_name,
        case when tuning_job_name is not null then 'hyperparameter-tuning-job' else 'training-job' end as parent_job_type,
        sum(cost) over parent_job as parent_job_cost,
        count(*) over parent_job as parent_job_training_jobs
    from costed
    window parent_job as (
        partition by account_id, region, coalesce(tuning_job_name, training_job_name), billing_currency
    )
)

select * from final
