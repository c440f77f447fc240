-- One row per billing period, usage date, billing currency, owner (model, team, project,
-- environment), category, service, allocation method and shared cost reason: the whole bill with
-- every dollar owned. Cost whose owner the evidence names stays where marts.cost_attribution put it
-- (allocation_method `direct`); cost with no model, team or project is shared cost and is divided
-- between the period's owners by the rule in var('shared_cost_allocation') (unused commitments
-- first by var('unused_commitment_allocation')). Per billing period and currency the totals equal
-- the direct view's and the bill's (tests/reconciliation/assert_cost_allocated_reconciles_to_raw).
{%- set shared_rule = var('shared_cost_allocation') %}
{%- set commitment_rule = var('unused_commitment_allocation') %}
{%- if shared_rule not in ('proportional', 'even') %}
    {{ exceptions.raise_compiler_error("var shared_cost_allocation must be proportional or even, not " ~ shared_rule) }}
{%- endif %}
{%- if commitment_rule not in ('commitment_users', 'shared') %}
    {{ exceptions.raise_compiler_error("var unused_commitment_allocation must be commitment_users or shared, not " ~ commitment_rule) }}
{%- endif %}

with

costs as (
    select * from {{ ref('cost_attribution') }}
),

classified as (
    select
        *,
        model_name <> 'unattributed' or team <> 'unattributed' or project <> 'unattributed' as has_owner,
        {{ shared_cost_reason('purchase_option', 'charge_type', 'commitment_discount_id', 'service_code') }} as shared_cost_reason
    from costs
),

direct as (
    select
        billing_period,
        usage_date,
        billing_currency,
        model_name,
        team,
        project,
        environment,
        category,
        service_name,
        'direct' as allocation_method,
        cast(null as {{ dbt.type_string() }}) as shared_cost_reason,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost
    from classified
    where has_owner
    group by
        billing_period, usage_date, billing_currency, model_name, team, project, environment, category, service_name
),

shared as (
    select
        {{ row_key() }} as shared_key,
        billing_period,
        usage_date,
        billing_currency,
        category,
        service_name,
        shared_cost_reason,
        case
            when shared_cost_reason = 'unused_commitment' and {{ 'true' if commitment_rule == 'commitment_users' else 'false' }}
                then commitment_discount_id
        end as commitment_discount_id,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost
    from classified
    where not has_owner
    group by
        billing_period, usage_date, billing_currency, category, service_name, shared_cost_reason,
        case
            when shared_cost_reason = 'unused_commitment' and {{ 'true' if commitment_rule == 'commitment_users' else 'false' }}
                then commitment_discount_id
        end
),

-- Each owner's weight in a period: its direct effective cost (positive only), or 1 for `even`.
owner_costs as (
    select
        billing_period,
        billing_currency,
        model_name,
        team,
        project,
        environment,
        {{ '1.0' if shared_rule == 'even' else 'sum(effective_cost)' }} as owner_weight
    from classified
    where has_owner
    group by billing_period, billing_currency, model_name, team, project, environment
    having sum(effective_cost) > 0
),

period_shares as (
    select
        billing_period,
        billing_currency,
        cast(null as {{ dbt.type_string() }}) as commitment_discount_id,
        model_name,
        team,
        project,
        environment,
        owner_weight / sum(owner_weight) over (partition by billing_period, billing_currency) as share
    from owner_costs
),

owner_periods as (
    select distinct
        billing_period,
        billing_currency
    from period_shares
),

-- The period whose owners take a period's shared cost: itself, else (a period with shared cost and
-- no owned cost yet, like the first days of a month billing only tax) the latest earlier one.
shared_periods as (
    select distinct
        billing_period,
        billing_currency
    from shared
),

weight_periods as (
    select
        shared_periods.billing_period,
        shared_periods.billing_currency,
        max(owner_periods.billing_period) as weight_period
    from shared_periods
    left join owner_periods
        on
            shared_periods.billing_currency is not distinct from owner_periods.billing_currency
            and shared_periods.billing_period >= owner_periods.billing_period
    group by shared_periods.billing_period, shared_periods.billing_currency
),

-- Owners of the usage a commitment covered in the period, by their covered (amortized) cost.
commitment_costs as (
    select
        billing_period,
        billing_currency,
        commitment_discount_id,
        model_name,
        team,
        project,
        environment,
        sum(effective_cost) as covered_cost
    from classified
    where has_owner and commitment_discount_id is not null and charge_type in ('SavingsPlanCoveredUsage', 'DiscountedUsage', 'Usage')
    group by billing_period, billing_currency, commitment_discount_id, model_name, team, project, environment
    having sum(effective_cost) > 0
),

commitment_shares as (
    select
        billing_period,
        billing_currency,
        commitment_discount_id,
        model_name,
        team,
        project,
        environment,
        covered_cost / sum(covered_cost) over (partition by billing_period, billing_currency, commitment_discount_id) as share
    from commitment_costs
),

-- A shared amount takes its commitment's users when it has any, else the period's owners.
shares_for as (
    select
        shared.shared_key,
        coalesce(commitment_shares.model_name, period_shares.model_name) as model_name,
        coalesce(commitment_shares.team, period_shares.team) as team,
        coalesce(commitment_shares.project, period_shares.project) as project,
        coalesce(commitment_shares.environment, period_shares.environment) as environment,
        coalesce(commitment_shares.share, period_shares.share) as share,
        case
            when commitment_shares.share is not null then 'commitment_users'
            when period_shares.billing_period = shared.billing_period then '{{ shared_rule }}'
            when period_shares.share is not null then '{{ shared_rule }}_previous_period'
            else 'no_owner'
        end as allocation_method
    from shared
    left join weight_periods
        on
            shared.billing_period = weight_periods.billing_period
            and shared.billing_currency is not distinct from weight_periods.billing_currency
    left join commitment_shares
        on
            shared.commitment_discount_id = commitment_shares.commitment_discount_id
            and shared.billing_period = commitment_shares.billing_period
            and shared.billing_currency is not distinct from commitment_shares.billing_currency
    left join period_shares
        on
            commitment_shares.share is null
            and weight_periods.weight_period = period_shares.billing_period
            and shared.billing_currency is not distinct from period_shares.billing_currency
),

-- Each part is rounded to the 10th decimal and the largest share takes the remainder, so the parts
-- of a shared amount add up to it exactly (as in cost_attribution).
parts as (
    select
        shared.*,
        shares_for.model_name,
        shares_for.team,
        shares_for.project,
        shares_for.environment,
        shares_for.allocation_method,
        coalesce(shares_for.share, 1) as share,
        row_number() over (
            partition by shared.shared_key
            order by shares_for.share desc, shares_for.model_name asc, shares_for.team asc, shares_for.project asc, shares_for.environment asc
        ) as share_rank,
        cast(round(shared.billed_cost * coalesce(shares_for.share, 1), 10) as decimal(38, 10)) as billed_part,
        cast(round(shared.effective_cost * coalesce(shares_for.share, 1), 10) as decimal(38, 10)) as effective_part,
        cast(round(shared.net_effective_cost * coalesce(shares_for.share, 1), 10) as decimal(38, 10)) as net_effective_part
    from shared
    inner join shares_for on shared.shared_key = shares_for.shared_key
),

allocated as (
    select
        billing_period,
        usage_date,
        billing_currency,
        -- Only when no period so far has an owner (nothing to divide by): stated, not hidden.
        coalesce(model_name, 'unallocated') as model_name,
        coalesce(team, 'unallocated') as team,
        coalesce(project, 'unallocated') as project,
        coalesce(environment, 'unallocated') as environment,
        category,
        service_name,
        allocation_method,
        shared_cost_reason,
        case
            when share_rank = 1 then billed_cost - (sum(billed_part) over (partition by shared_key) - billed_part)
            else billed_part
        end as billed_cost,
        case
            when share_rank = 1 then effective_cost - (sum(effective_part) over (partition by shared_key) - effective_part)
            else effective_part
        end as effective_cost,
        case
            when share_rank = 1 then net_effective_cost - (sum(net_effective_part) over (partition by shared_key) - net_effective_part)
            else net_effective_part
        end as net_effective_cost
    from parts
),

unioned as (
    select * from direct
    union all
    select * from allocated
),

final as (
    select
        billing_period,
        usage_date,
        billing_currency,
        model_name,
        team,
        project,
        environment,
        category,
        service_name,
        allocation_method,
        shared_cost_reason,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(net_effective_cost) as net_effective_cost
    from unioned
    group by
        billing_period, usage_date, billing_currency, model_name, team, project, environment, category, service_name,
        allocation_method, shared_cost_reason
)

select * from final
