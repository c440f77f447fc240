-- One row per billing period, model and billing currency: amounts in different currencies are
-- never added up, and a month is compared with the previous month in the same currency.
with

costs as (
    select * from {{ ref('cost_by_model') }}
),

monthly as (
    select
        billing_period,
        model_name,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost
    from costs
    group by billing_period, model_name, billing_currency
),

periods as (
    select distinct billing_period from monthly
),

-- A model that spent last month and nothing this month still gets a row, showing the drop.
keys as (
    select
        billing_period,
        model_name,
        billing_currency
    from monthly
    union
    select
        periods.billing_period,
        monthly.model_name,
        monthly.billing_currency
    from monthly
    inner join periods on periods.billing_period = cast(monthly.billing_period + interval '1' month as date)
),

final as (
    select
        keys.billing_period,
        keys.model_name,
        keys.billing_currency,
        coalesce(current_month.billed_cost, 0) as billed_cost,
        coalesce(current_month.effective_cost, 0) as effective_cost,
        current_month.list_cost,
        previous_month.billed_cost as previous_billed_cost,
        previous_month.effective_cost as previous_effective_cost,
        coalesce(current_month.effective_cost, 0) - coalesce(previous_month.effective_cost, 0) as effective_cost_change,
        -- A ratio, not money: DOUBLE rounded to 4 decimals.
        round(
            100.0 * (coalesce(current_month.effective_cost, 0) - previous_month.effective_cost)
            / nullif(previous_month.effective_cost, 0),
            4
        ) as effective_cost_change_pct,
        coalesce(current_month.billed_cost, 0) - coalesce(previous_month.billed_cost, 0) as billed_cost_change
    from keys
    left join monthly as current_month
        on
            keys.billing_period = current_month.billing_period
            and keys.model_name = current_month.model_name
            and keys.billing_currency is not distinct from current_month.billing_currency
    left join monthly as previous_month
        on
            cast(keys.billing_period - interval '1' month as date) = previous_month.billing_period
            and keys.model_name = previous_month.model_name
            and keys.billing_currency is not distinct from previous_month.billing_currency
)

select * from final
