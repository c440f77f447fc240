-- One row per SageMaker batch transform job and billing currency of its cost: what the bill charged
-- for it (by ARN), the records it scored (prediction logs rows naming the job) and the cost per
-- 1,000 records. That unit cost is NULL with cost_per_1k_records_reason when it cannot be known yet:
-- the job is still running, the bill does not cover its last day, no records were counted, or no
-- cost is billed. Jobs the bill names but the SageMaker metadata does not are kept, so the costs
-- here add up to every transform-job line of marts.cost_attribution.
with

jobs as (
    select * from {{ ref('stg_sagemaker__transform_jobs') }}
),

costs as (
    select * from {{ ref('cost_attribution') }}
),

counts as (
    select * from {{ ref('stg_predictions__hourly_counts') }}
),

billing_periods as (
    select * from {{ ref('int_billing_periods') }}
),

billed as (
    {{ billed_sagemaker_jobs('transform') }}
),

-- Logs may leave out account and region: then the job name alone says which job.
records as (
    select
        transform_job_name,
        account_id,
        region,
        sum(predictions) as records
    from counts
    where transform_job_name is not null
    group by transform_job_name, account_id, region
),

job_records as (
    select
        jobs.transform_job_arn,
        sum(records.records) as records
    from jobs
    inner join records
        on
            jobs.transform_job_name = records.transform_job_name
            and (records.account_id is null or jobs.account_id = records.account_id)
            and (records.region is null or jobs.region = records.region)
    group by jobs.transform_job_arn
),

joined as (
    select
        coalesce(jobs.transform_job_name, billed.transform_job_name) as transform_job_name,
        jobs.transform_job_arn,
        coalesce(jobs.account_id, billed.account_id) as account_id,
        coalesce(jobs.region, billed.region) as region,
        coalesce(billed.model_name, jobs.model_name, 'unattributed') as model_name,
        coalesce(billed.team, 'unattributed') as team,
        jobs.status,
        jobs.started_at,
        jobs.ended_at,
        jobs.instance_type,
        jobs.instance_count,
        billed.billing_currency,
        billed.billed_cost,
        billed.effective_cost,
        job_records.records,
        -- the job's last day: when it ended, else the last day the bill charged it
        coalesce(cast(jobs.ended_at as date), billed.last_billed_date) as last_day
    from jobs
    full outer join billed
        on
            jobs.transform_job_name = billed.transform_job_name
            and jobs.account_id = billed.account_id
            and jobs.region = billed.region
    left join job_records
        on jobs.transform_job_arn = job_records.transform_job_arn
),

reasoned as (
    select
        joined.*,
        coalesce(joined.last_day <= billing_periods.data_through_date, false) as is_bill_complete,
        case
            when joined.status in ('InProgress', 'Stopping') then 'job_running'
            when not coalesce(joined.last_day <= billing_periods.data_through_date, false) then 'bill_not_complete'
            when coalesce(joined.records, 0) = 0 then 'no_records'
            when coalesce(joined.effective_cost, 0) = 0 then 'no_cost_billed'
        end as cost_per_1k_records_reason
    from joined
    left join billing_periods
        on cast(date_trunc('month', joined.last_day) as date) = billing_periods.billing_period
),

final as (
    select
        transform_job_name,
        transform_job_arn,
        account_id,
        region,
        model_name,
        team,
        status,
        started_at,
        ended_at,
        instance_type,
        instance_count,
        billing_currency,
        billed_cost,
        effective_cost,
        cast(records as bigint) as records,
        is_bill_complete,
        -- Divided exactly in DECIMAL (truncated at the 10th decimal); NULL with a reason, never 0.
        case
            when cost_per_1k_records_reason is null then {{ divide_money('effective_cost * 1000', 'records') }}
        end as cost_per_1k_records,
        cost_per_1k_records_reason
    from reasoned
)

select * from final
