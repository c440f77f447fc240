{#- The join of cost_attribution rows (`costs`) to an anomaly or candidate row (`anchor`): the same
    currency, the anchor's day and the same weekday of the baseline weeks before it, inside the
    anchor's scope (a model, a service, an account, or the whole bill). Root causes and the habit
    check both compare that day with those weeks. -#}
{% macro anomaly_costs_on(anchor, baseline_weeks) %}
    {{ anchor }}.billing_currency = costs.billing_currency
    and costs.usage_date in (
        {{ anchor }}.usage_date,
        {%- for week in range(1, baseline_weeks + 1) %}
            {{ add_days(anchor ~ '.usage_date', -7 * week) }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
    and case {{ anchor }}.scope_type
        when 'model' then {{ anchor }}.scope_value = costs.model_name
        when 'service' then {{ anchor }}.scope_value = costs.service_name
        when 'account' then {{ anchor }}.scope_value = costs.account_id
        else true
    end
{%- endmacro %}
