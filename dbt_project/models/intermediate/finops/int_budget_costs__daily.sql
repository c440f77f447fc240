-- One row per budget, billing period, usage date, billing currency and kind of charge with cost in
-- the budget's scope, on the budget's cost basis. Currencies stay apart: budget_projection counts
-- only the budget's own. Month-level charges (fees, tax, commitments; see is_month_level_charge)
-- keep their charge type, so the forecast can take each from the month before until it arrives;
-- daily usage has a NULL month_level_charge_type.
with

budgets as (
    select * from {{ ref('stg_budgets__budgets') }}
),

costs as (
    select * from {{ ref('cost_attribution') }}
),

line_items as (
    select * from {{ ref('int_line_items__daily') }}
),

column_scoped as (
    select
        budgets.budget_name,
        costs.billing_period,
        costs.usage_date,
        costs.billing_currency,
        costs.is_month_level_charge,
        case when costs.is_month_level_charge then lower(coalesce(costs.charge_type, 'unknown')) end
            as month_level_charge_type,
        sum(case when budgets.cost_basis = 'billed' then costs.billed_cost else costs.effective_cost end) as cost
    from budgets
    inner join costs
        on {{ budget_scope_matches('budgets', 'costs') }}
    group by
        budgets.budget_name, costs.billing_period, costs.usage_date, costs.billing_currency, costs.is_month_level_charge,
        case when costs.is_month_level_charge then lower(coalesce(costs.charge_type, 'unknown')) end
),

-- tag:<key> budgets read the line items' own tags (case-insensitive key, value lower-cased).
tag_scoped as (
    select
        budgets.budget_name,
        line_items.billing_period,
        line_items.usage_date,
        line_items.billing_currency,
        line_items.is_month_level_charge,
        case when line_items.is_month_level_charge then lower(coalesce(line_items.charge_type, 'unknown')) end
            as month_level_charge_type,
        sum(case when budgets.cost_basis = 'billed' then line_items.billed_cost else line_items.effective_cost end) as cost
    from budgets
    inner join line_items
        on
            budgets.tag_key is not null
            and {{ tag_lookup('line_items.tags', array_of('budgets.tag_key')) }} = budgets.scope_value
    group by
        budgets.budget_name, line_items.billing_period, line_items.usage_date, line_items.billing_currency,
        line_items.is_month_level_charge,
        case when line_items.is_month_level_charge then lower(coalesce(line_items.charge_type, 'unknown')) end
),

final as (
    select * from column_scoped
    union all
    select * from tag_scoped
)

select * from final
