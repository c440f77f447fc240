-- One row per hour, endpoint (account, region) and variant with the share of its instances'
-- capacity that was used: CloudWatch GPUUtilization on GPU instances, else CPUUtilization, each
-- divided by 100 x the GPUs or vCPUs of the variant's instance type (instance_capacity macros)
-- and clipped to [0, 1]. Serverless variants have no instances and no row here.
with

metrics as (
    select * from {{ ref('stg_sagemaker__endpoint_utilization') }}
),

variants as (
    select * from {{ ref('stg_sagemaker__endpoint_variants') }}
),

variant_capacity as (
    select
        endpoint_name,
        account_id,
        region,
        variant_name,
        min(instance_type) as instance_type,
        max(greatest(coalesce(current_instance_count, initial_instance_count, 1), 1)) as instance_count,
        {{ instance_gpus('min(instance_type)') }} as gpus,
        {{ instance_vcpus('min(instance_type)') }} as vcpus
    from variants
    where instance_type is not null
    group by endpoint_name, account_id, region, variant_name
),

hourly as (
    select
        hour_start_at,
        usage_date,
        endpoint_name,
        account_id,
        region,
        variant_name,
        avg(average) filter (where metric_name = 'GPUUtilization') as gpu_utilization,
        avg(average) filter (where metric_name = 'CPUUtilization') as cpu_utilization
    from metrics
    where metric_name in ('GPUUtilization', 'CPUUtilization')
    group by hour_start_at, usage_date, endpoint_name, account_id, region, variant_name
),

final as (
    select
        hourly.hour_start_at,
        hourly.usage_date,
        hourly.endpoint_name,
        hourly.account_id,
        hourly.region,
        hourly.variant_name,
        variant_capacity.instance_type,
        variant_capacity.instance_count,
        -- Per instance, as a percentage of one GPU or vCPU's worth x their number: 0 to 100.
        case when variant_capacity.gpus > 0 then hourly.gpu_utilization / variant_capacity.gpus end as gpu_utilization_pct,
        hourly.cpu_utilization / nullif(variant_capacity.vcpus, 0) as cpu_utilization_pct,
        case
            when variant_capacity.gpus > 0 and hourly.gpu_utilization is not null then 'GPUUtilization'
            when variant_capacity.vcpus > 0 and hourly.cpu_utilization is not null then 'CPUUtilization'
        end as utilization_metric,
        least(1.0, greatest(0.0, coalesce(
            case when variant_capacity.gpus > 0 then hourly.gpu_utilization / (100.0 * variant_capacity.gpus) end,
            hourly.cpu_utilization / (100.0 * nullif(variant_capacity.vcpus, 0))
        ))) as utilization
    from hourly
    inner join variant_capacity
        on
            hourly.endpoint_name = variant_capacity.endpoint_name
            and hourly.variant_name = variant_capacity.variant_name
            and hourly.account_id = variant_capacity.account_id
            and hourly.region = variant_capacity.region
)

select * from final
