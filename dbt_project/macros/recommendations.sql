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
