-- How the cost of an endpoint that hosts inference components divides between them, per billed
-- day: by the compute each component reserves (copies x what one copy reserves x the hours it
-- existed that day) against the capacity the bill says ran (instance-hours x what one instance
-- has). Capacity nobody reserved is its own row (is_unreserved), never spread over the components.
-- The shares of an endpoint-day add up to 1 (tested). Rule and precedence: docs/marts.md.
with

components as (
    select * from {{ ref('stg_sagemaker__inference_components') }}
),

line_items as (
    select * from {{ ref('int_line_items__daily') }}
),

model_shares as (
    select * from {{ ref('int_endpoint_model_shares') }}
    where usage_date is not null
),

-- Billed instance-hours per endpoint, day and instance type (the usage type names the type, as in
-- int_endpoint_costs__idle); serverless inference has no instances to reserve.
instance_hours as (
    select
        usage_date,
        resource_account_id as account_id,
        resource_region as region,
        sagemaker_resource_name as endpoint_name,
        lower(split_part(usage_type, ':', 2)) as instance_type,
        sum(usage_quantity) as instance_hours
    from line_items
    where
        sagemaker_resource_type = 'endpoint'
        and category = 'inference'
        and lower(split_part(usage_type, ':', 2)) like 'ml.%'
        and lower(usage_type) not like '%serverlessinf%'
    group by usage_date, resource_account_id, resource_region, sagemaker_resource_name, lower(split_part(usage_type, ':', 2))
),

-- Capacity in accelerator-hours and vCPU-hours per endpoint and day (NULL when an instance type's
-- count is not known: the instance_capacity macros).
capacity as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        case
            when bool_and({{ instance_gpus('instance_type') }} is not null)
                then sum(instance_hours * {{ instance_gpus('instance_type') }})
        end as accelerator_hours,
        case
            when bool_and({{ instance_vcpus('instance_type') }} is not null)
                then sum(instance_hours * {{ instance_vcpus('instance_type') }})
        end as vcpu_hours
    from instance_hours
    group by usage_date, account_id, region, endpoint_name
),

-- Every day an endpoint was billed for inference, with its capacity (NULL without instance-hours).
endpoint_days as (
    select
        line_items.usage_date,
        line_items.resource_account_id as account_id,
        line_items.resource_region as region,
        line_items.sagemaker_resource_name as endpoint_name,
        any_value(capacity.accelerator_hours) as accelerator_capacity_hours,
        any_value(capacity.vcpu_hours) as vcpu_capacity_hours
    from line_items
    left join capacity
        on
            line_items.usage_date = capacity.usage_date
            and line_items.sagemaker_resource_name = capacity.endpoint_name
            and coalesce(line_items.resource_account_id, '') = coalesce(capacity.account_id, '')
            and coalesce(line_items.resource_region, '') = coalesce(capacity.region, '')
    where line_items.sagemaker_resource_type = 'endpoint' and line_items.category = 'inference'
    group by
        line_items.usage_date, line_items.resource_account_id, line_items.resource_region,
        line_items.sagemaker_resource_name
),

-- The components that existed on each billed day, and for how many hours of it (created_at to the
-- ingest that found them deleted; a component without a creation time counts the whole day).
component_days as (
    select
        endpoint_days.*,
        components.inference_component_name,
        components.model_name,
        components.copy_count,
        components.accelerators_required,
        components.cpu_cores_required,
        components.min_memory_required_mb,
        greatest(
            0,
            {{ datetime_diff(
                'second',
                'greatest(cast(endpoint_days.usage_date as timestamp), coalesce(components.created_at, cast(endpoint_days.usage_date as timestamp)))',
                "least(
                    cast(endpoint_days.usage_date as timestamp) + interval '1' day,
                    coalesce(components.deleted_at, cast(endpoint_days.usage_date as timestamp) + interval '1' day)
                )"
            ) }}
        ) / 3600.0 as component_hours
    from endpoint_days
    inner join components
        on
            endpoint_days.endpoint_name = components.endpoint_name
            and coalesce(endpoint_days.account_id, '') = components.account_id
            and coalesce(endpoint_days.region, '') = components.region
),

alive as (
    select * from component_days
    where component_hours > 0
),

-- One unit per endpoint-day, in this order: accelerators when every running component (copies > 0)
-- reserves some, else CPU cores when every one does, else memory (which the API always requires).
endpoint_basis as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        case
            when count(*) filter (where copy_count > 0) = 0 then 'no_copies'
            when bool_and(coalesce(accelerators_required, 0) > 0) filter (where copy_count > 0) then 'accelerators'
            when bool_and(coalesce(cpu_cores_required, 0) > 0) filter (where copy_count > 0) then 'cpu_cores'
            else 'memory'
        end as share_basis
    from alive
    group by usage_date, account_id, region, endpoint_name
),

reserved as (
    select
        alive.*,
        endpoint_basis.share_basis,
        alive.copy_count * alive.component_hours * case endpoint_basis.share_basis
            when 'accelerators' then coalesce(alive.accelerators_required, 0)
            when 'cpu_cores' then coalesce(alive.cpu_cores_required, 0)
            when 'memory' then coalesce(alive.min_memory_required_mb, 0)
            else 0
        end as reserved_units,
        case endpoint_basis.share_basis
            when 'accelerators' then nullif(alive.accelerator_capacity_hours, 0)
            when 'cpu_cores' then nullif(alive.vcpu_capacity_hours, 0)
        end as capacity_units
    from alive
    inner join endpoint_basis
        on
            alive.usage_date = endpoint_basis.usage_date
            and alive.endpoint_name = endpoint_basis.endpoint_name
            and coalesce(alive.account_id, '') = coalesce(endpoint_basis.account_id, '')
            and coalesce(alive.region, '') = coalesce(endpoint_basis.region, '')
),

-- A component's share is its reservation over the capacity. When the components reserve more
-- than the bill's capacity (copy counts are the latest seen, not that day's), over what they
-- reserve. When the capacity is unknown (memory basis, an instance type the macros do not know,
-- no instance-hours billed), over what they reserve, and the reason says so.
component_shares as (
    select
        *,
        sum(reserved_units) over endpoint_day as endpoint_reserved_units,
        case
            when share_basis = 'no_copies' then 0.0
            when capacity_units is null then reserved_units / nullif(sum(reserved_units) over endpoint_day, 0)
            else reserved_units / greatest(capacity_units, sum(reserved_units) over endpoint_day)
        end as share
    from reserved
    window endpoint_day as (partition by usage_date, account_id, region, endpoint_name)
),

unreserved as (
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        any_value(share_basis) as share_basis,
        any_value(capacity_units) as capacity_units,
        any_value(endpoint_reserved_units) as endpoint_reserved_units,
        greatest(0.0, 1.0 - coalesce(sum(share), 0)) as share,
        case
            when any_value(share_basis) = 'no_copies' then 'no_copies_running'
            when any_value(capacity_units) is null then 'capacity_unknown'
            when any_value(endpoint_reserved_units) > any_value(capacity_units) then 'reservations_exceed_capacity'
        end as unreserved_reason
    from component_shares
    group by usage_date, account_id, region, endpoint_name
),

final as (
    select
        component_shares.usage_date,
        component_shares.account_id,
        component_shares.region,
        component_shares.endpoint_name,
        component_shares.inference_component_name,
        component_shares.model_name,
        false as is_unreserved,
        component_shares.share_basis,
        component_shares.copy_count,
        component_shares.component_hours,
        component_shares.reserved_units,
        component_shares.capacity_units,
        component_shares.share,
        -- The usage-based split: the model's share of the endpoint's predictions that day (prediction
        -- logs naming models); NULL when no count names the endpoint's models that day.
        model_shares.share as prediction_share,
        null as unreserved_reason
    from component_shares
    left join model_shares
        on
            component_shares.usage_date = model_shares.usage_date
            and component_shares.endpoint_name = model_shares.endpoint_name
            and component_shares.model_name = model_shares.model_name
            and coalesce(component_shares.account_id, '') = coalesce(model_shares.account_id, '')
            and coalesce(component_shares.region, '') = coalesce(model_shares.region, '')
    union all
    select
        usage_date,
        account_id,
        region,
        endpoint_name,
        null as inference_component_name,
        null as model_name,
        true as is_unreserved,
        share_basis,
        null as copy_count,
        null as component_hours,
        greatest(coalesce(capacity_units, 0) - endpoint_reserved_units, 0) as reserved_units,
        capacity_units,
        share,
        null as prediction_share,
        unreserved_reason
    from unreserved
)

select * from final
