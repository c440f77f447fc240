{#- Query shapes the engines spell differently: all columns but some, and a per-query row key (docs/engines.md). -#}

{#-
    Every column of `relation` (a table alias) except `columns` (unqualified names), in their order.
    Trino and Athena have no such star: a port there lists the columns (a trino__ variant).
-#}
{% macro star_except(relation, columns) -%}
    {{ return(adapter.dispatch('star_except', 'mlcost')(relation, columns)) }}
{%- endmacro %}

{% macro default__star_except(relation, columns) -%}
    {{ relation }}.* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_except(relation, columns) -%}
    {{ relation }}.* except ({{ columns | join(', ') }})
{%- endmacro %}

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
