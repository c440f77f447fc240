{#-
    Generic test, set on a model: none of `column_names` is ever null. One scan of the model for all
    its columns, and one dbt node (one Dagster asset check) per model instead of one per column:
    dbt spends tens of milliseconds of single-threaded Python on every node, whatever the data
    (docs/scale.md). Fails with one row per column that has nulls: the column and how many rows.
-#}
{% test mlcost_not_null(model, column_names) %}
with

null_counts as (
    select
        {%- for column in column_names %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in column_names -%}
select
    '{{ column }}' as column_name,
    nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif -%}
{% endfor %}
{% endtest %}
