with

costs as (
    select * from {{ ref('cost_attribution') }}
),

final as (
    select
        usage_date,
        model_name,
        team,
        environment,
        category,
        service_name,
        billing_period,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost,
        sum(net_effective_cost) as net_effective_cost,
        -- Part of the grain: amounts in different currencies (a FOCUS export mixing providers) are
        -- never added up.
        billing_currency,
        cast(sum(line_items) as bigint) as line_items
    from costs
    group by usage_date, model_name, team, environment, category, service_name, billing_period, billing_currency
)

select * from final
