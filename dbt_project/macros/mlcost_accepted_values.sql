{#-
    Generic test, set on a model: each column in `values_by_column` holds only the values listed for
    it (nulls pass, as in dbt's accepted_values; strings are quoted, numbers are not). One scan of the
    model for all its columns, and one dbt node (one Dagster asset check) per model instead of one
    per column, as mlcost_not_null (docs/scale.md). Fails with one row per column and value that is
    not accepted: the column, the value as text and how many rows hold it.
-#}
{% test mlcost_accepted_values(model, values_by_column) %}
{%- set columns = values_by_column | list -%}
{%- set accepted = {} -%}
{%- for column in columns -%}
    {%- set literals = [] -%}
    {%- for value in values_by_column[column] -%}
        {%- do literals.append("'" ~ value ~ "'" if value is string else value | string) -%}
    {%- endfor -%}
    {%- do accepted.update({column: literals | join(", ")}) -%}
{%- endfor %}
with

not_accepted as (
    select
        {%- for column in columns %}
        case
            when {{ column }} not in ({{ accepted[column] }})
                then cast({{ column }} as {{ dbt.type_string() }})
        end as value_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
    where
        {%- for column in columns %}
        {{ "or " if not loop.first }}{{ column }} not in ({{ accepted[column] }})
        {%- endfor %}
)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    value_{{ loop.index }} as value,
    count(*) as n_records
from not_accepted
where value_{{ loop.index }} is not null
group by value_{{ loop.index }}
{% if not loop.last %}union all
{% endif -%}
{% endfor %}
{% endtest %}
