{#-
    What a SageMaker instance line is for, from its usage type (`USE1-Host:ml.m5.large` -> hosting):
    hosting (real-time and asynchronous endpoints), training (on demand; managed spot `TrSpt` is
    not an on-demand rate and gets none), notebook (notebook instances and Studio apps), processing
    or transform; NULL for anything else. Rates are only compared within one kind: SageMaker prices
    the same instance type differently for hosting and training.
-#}
{% macro sagemaker_price_kind(usage_type) -%}
    case {{ regex_extract(usage_type, "'([A-Za-z]+):ml\.'", 1) }}
        when 'Host' then 'hosting'
        when 'AsyncInf' then 'hosting'
        when 'Train' then 'training'
        when 'Notebk' then 'notebook'
        when 'Studio' then 'notebook'
        when 'Processing' then 'processing'
        when 'Tsform' then 'transform'
    end
{%- endmacro %}

{#- A monthly figure from `amount` over `days` of a period of `days_in_period` days, as DECIMAL. -#}
{% macro monthly_amount(amount, days, days_in_period) -%}
    cast(cast({{ amount }} as decimal(38, 10)) * {{ days_in_period }} / nullif({{ days }}, 0) as decimal(38, 10))
{%- endmacro %}

{#- Money as text for evidence and action sentences: `$1,234.56`. -#}
{% macro money_text(amount) -%}
    '$' || {{ format_number('cast(' ~ amount ~ ' as double)', 2, grouping=true) }}
{%- endmacro %}

{#-
    The owner `column` (model_name, team or project, from the relation `prefix` names) of the row with
    the largest `cost` in the group, ties broken by the owner names: the three owner columns of one
    recommendation always come from one row, and every build picks the same one whatever order the
    rows arrive in (max_by alone may take any tied row, and each column a different one). Rows
    without a cost never win.
-#}
{% macro owner_by_cost(column, cost, prefix='') -%}
    {%- set fields = [['cost', cost, 'decimal(38, 10)']] -%}
    {%- for owner in ['model_name', 'team', 'project'] -%}
        {%- do fields.append([owner, "coalesce(" ~ prefix ~ owner ~ ", '')", dbt.type_string()]) -%}
    {%- endfor -%}
    max_by({{ prefix }}{{ column }}, case when {{ cost }} is not null then {{ struct_of(fields) }} end)
{%- endmacro %}
