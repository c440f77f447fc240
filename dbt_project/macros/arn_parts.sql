{#- Region and account of an AWS ARN (arn:partition:service:region:account:resource). -#}
{% macro arn_region(arn) -%}
    nullif(split_part({{ arn }}, ':', 4), '')
{%- endmacro %}

{% macro arn_account_id(arn) -%}
    nullif(split_part({{ arn }}, ':', 5), '')
{%- endmacro %}
