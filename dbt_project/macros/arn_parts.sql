{#- Region and account of an AWS ARN (arn:partition:service:region:account:resource). -#}
{% macro arn_region(arn) -%}
    nullif(split_part({{ arn }}, ':', 4), '')
{%- endmacro %}

{% macro arn_account_id(arn) -%}
    nullif(split_part({{ arn }}, ':', 5), '')
{%- endmacro %}

{#-
    A part of a line item's SageMaker resource ARN (arn:aws:sagemaker:<region>:<account>:<type>/<name>):
    `region`, `account_id`, `type` or `name` (lower-cased: SageMaker lower-cases names in ARNs); NULL
    for any other resource. stg_aws_cur__line_items derives its columns with it, and
    int_line_items__daily after summing per resource (once per resource and day, not per line).
-#}
{% macro sagemaker_arn_part(resource_id, part) -%}
    case
        when lower({{ resource_id }}) like 'arn:aws%:sagemaker:%' then
        {%- if part == 'region' %} split_part({{ resource_id }}, ':', 4)
        {%- elif part == 'account_id' %} split_part({{ resource_id }}, ':', 5)
        {%- elif part == 'type' %} lower(split_part(split_part({{ resource_id }}, ':', 6), '/', 1))
        {%- elif part == 'name' %} nullif(lower(split_part(split_part({{ resource_id }}, ':', 6), '/', 2)), '')
        {%- else %}{{ exceptions.raise_compiler_error("sagemaker_arn_part: unknown part " ~ part) }}
        {%- endif %}
    end
{%- endmacro %}
