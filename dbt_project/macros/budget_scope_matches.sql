{#-
    True when a cost row falls inside a budget's scope. `budgets` is a relation with scope_type and
    scope_value (lower-case, as stg_budgets__budgets has them); `costs` one with the columns of
    marts.cost_attribution. The one definition of a budget's scope: the budget's cost
    (int_budget_costs__daily) and the drivers named in its alerts (budget_alerts) both use it.
    tag:<key> budgets match nothing here: their tags live on the line items.
-#}
{% macro budget_scope_matches(budgets, costs) -%}
    (
        {{ budgets }}.scope_type = 'total'
        or ({{ budgets }}.scope_type = 'model' and {{ budgets }}.scope_value = {{ costs }}.model_name)
        or ({{ budgets }}.scope_type = 'team' and {{ budgets }}.scope_value = {{ costs }}.team)
        or ({{ budgets }}.scope_type = 'project' and {{ budgets }}.scope_value = {{ costs }}.project)
        or ({{ budgets }}.scope_type = 'environment' and {{ budgets }}.scope_value = {{ costs }}.environment)
        or ({{ budgets }}.scope_type = 'category' and {{ budgets }}.scope_value = {{ costs }}.category)
        or (
            {{ budgets }}.scope_type = 'service'
            and (
                lower({{ costs }}.service_name) = {{ budgets }}.scope_value
                or lower({{ costs }}.service_code) = {{ budgets }}.scope_value
            )
        )
    )
{%- endmacro %}
