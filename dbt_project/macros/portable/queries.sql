{#- Query shapes the engines spell differently: a per-query row key, and rows from an array (docs/engines.md). -#}

{#- A surrogate key unique within one query's rows, for grouping them back (not stable between runs). -#}
{% macro row_key() -%}
    {{ return(adapter.dispatch('row_key', 'mlcost')()) }}
{%- endmacro %}

{% macro default__row_key() -%}
    row_number() over ()
{%- endmacro %}

{% macro spark__row_key() -%}
    monotonically_increasing_id()
{%- endmacro %}

{#-
    A join, written where a FROM clause takes one: one row per element of `array` (an expression over
    the relations before it) as `alias`.`column`; a row whose array is empty or NULL is dropped, as by
    an inner join. DuckDB and Trino spell it `cross join unnest(...)`, Spark `cross join lateral explode(...)`.
-#}
{% macro unnest_join(array, alias, column) -%}
    {{ return(adapter.dispatch('unnest_join', 'mlcost')(array, alias, column)) }}
{%- endmacro %}

{% macro default__unnest_join(array, alias, column) -%}
    cross join unnest({{ array }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{% macro spark__unnest_join(array, alias, column) -%}
    cross join lateral explode({{ array }}) as {{ alias }} ({{ column }})
{%- endmacro %}
