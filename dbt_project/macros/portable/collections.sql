{#-
    Arrays and maps (docs/engines.md): literals, lambdas, element access and aggregation into an
    array are spelled differently by every engine. Arrays are 1-based here, as in DuckDB and Trino.
-#}

{#- An array of the SQL expressions in `items` (a comma-separated string). -#}
{% macro array_of(items) -%}
    {{ return(adapter.dispatch('array_of', 'mlcost')(items)) }}
{%- endmacro %}

{% macro default__array_of(items) -%}
    array[{{ items }}]
{%- endmacro %}

{% macro duckdb__array_of(items) -%}
    [{{ items }}]
{%- endmacro %}

{% macro spark__array_of(items) -%}
    array({{ items }})
{%- endmacro %}

{#- An empty array of `element_type` (a SQL type: double, or dbt.type_string()). -#}
{% macro empty_array(element_type) -%}
    {{ return(adapter.dispatch('empty_array', 'mlcost')(element_type)) }}
{%- endmacro %}

{% macro default__empty_array(element_type) -%}
    cast(array[] as array({{ element_type }}))
{%- endmacro %}

{% macro duckdb__empty_array(element_type) -%}
    cast([] as {{ element_type }}[])
{%- endmacro %}

{% macro spark__empty_array(element_type) -%}
    cast(array() as array<{{ element_type }}>)
{%- endmacro %}

{#- The elements of `array` for which `predicate` (an expression in the lambda variable `var`) holds. -#}
{% macro array_filter(array, var, predicate) -%}
    {{ return(adapter.dispatch('array_filter', 'mlcost')(array, var, predicate)) }}
{%- endmacro %}

{% macro default__array_filter(array, var, predicate) -%}
    filter({{ array }}, {{ var }} -> {{ predicate }})
{%- endmacro %}

{% macro duckdb__array_filter(array, var, predicate) -%}
    list_filter({{ array }}, lambda {{ var }}: {{ predicate }})
{%- endmacro %}

{#- `expression` (in the lambda variable `var`) applied to each element of `array`. -#}
{% macro array_transform(array, var, expression) -%}
    {{ return(adapter.dispatch('array_transform', 'mlcost')(array, var, expression)) }}
{%- endmacro %}

{% macro default__array_transform(array, var, expression) -%}
    transform({{ array }}, {{ var }} -> {{ expression }})
{%- endmacro %}

{% macro duckdb__array_transform(array, var, expression) -%}
    list_transform({{ array }}, lambda {{ var }}: {{ expression }})
{%- endmacro %}

{#- True when `predicate` (in the lambda variable `var`) holds for some element of `array`. -#}
{% macro array_any(array, var, predicate) -%}
    {{ return(adapter.dispatch('array_any', 'mlcost')(array, var, predicate)) }}
{%- endmacro %}

{% macro default__array_any(array, var, predicate) -%}
    any_match({{ array }}, {{ var }} -> {{ predicate }})
{%- endmacro %}

{% macro duckdb__array_any(array, var, predicate) -%}
    list_bool_or(list_transform({{ array }}, lambda {{ var }}: {{ predicate }}))
{%- endmacro %}

{% macro spark__array_any(array, var, predicate) -%}
    exists({{ array }}, {{ var }} -> {{ predicate }})
{%- endmacro %}

{#- The first element of `array`, NULL when it is empty. -#}
{% macro array_first(array) -%}
    {{ return(adapter.dispatch('array_first', 'mlcost')(array)) }}
{%- endmacro %}

{% macro default__array_first(array) -%}
    element_at({{ array }}, 1)
{%- endmacro %}

{% macro duckdb__array_first(array) -%}
    ({{ array }})[1]
{%- endmacro %}

{% macro spark__array_first(array) -%}
    try_element_at({{ array }}, 1)
{%- endmacro %}

{#- The first `length` elements of `array`, as an array. -#}
{% macro array_head(array, length) -%}
    {{ return(adapter.dispatch('array_head', 'mlcost')(array, length)) }}
{%- endmacro %}

{% macro default__array_head(array, length) -%}
    slice({{ array }}, 1, {{ length }})
{%- endmacro %}

{% macro duckdb__array_head(array, length) -%}
    list_slice({{ array }}, 1, {{ length }})
{%- endmacro %}

{#- The number of elements of `array`. -#}
{% macro array_length(array) -%}
    {{ return(adapter.dispatch('array_length', 'mlcost')(array)) }}
{%- endmacro %}

{% macro default__array_length(array) -%}
    cardinality({{ array }})
{%- endmacro %}

{% macro duckdb__array_length(array) -%}
    len({{ array }})
{%- endmacro %}

{#- The largest / smallest element of `array`, NULL when it is empty. -#}
{% macro array_max(array) -%}
    {{ return(adapter.dispatch('array_max', 'mlcost')(array)) }}
{%- endmacro %}

{% macro default__array_max(array) -%}
    array_max({{ array }})
{%- endmacro %}

{% macro duckdb__array_max(array) -%}
    list_max({{ array }})
{%- endmacro %}

{% macro array_min(array) -%}
    {{ return(adapter.dispatch('array_min', 'mlcost')(array)) }}
{%- endmacro %}

{% macro default__array_min(array) -%}
    array_min({{ array }})
{%- endmacro %}

{% macro duckdb__array_min(array) -%}
    list_min({{ array }})
{%- endmacro %}

{#- True when `array` holds `value`. -#}
{% macro array_contains(array, value) -%}
    {{ return(adapter.dispatch('array_contains', 'mlcost')(array, value)) }}
{%- endmacro %}

{% macro default__array_contains(array, value) -%}
    contains({{ array }}, {{ value }})
{%- endmacro %}

{% macro duckdb__array_contains(array, value) -%}
    list_contains({{ array }}, {{ value }})
{%- endmacro %}

{% macro spark__array_contains(array, value) -%}
    array_contains({{ array }}, {{ value }})
{%- endmacro %}

{#- The elements of `array` joined into text with `separator`. -#}
{% macro array_join(array, separator) -%}
    {{ return(adapter.dispatch('array_join', 'mlcost')(array, separator)) }}
{%- endmacro %}

{% macro default__array_join(array, separator) -%}
    array_join({{ array }}, {{ separator }})
{%- endmacro %}

{% macro duckdb__array_join(array, separator) -%}
    array_to_string({{ array }}, {{ separator }})
{%- endmacro %}

{#-
    Aggregate: the values of `value` as an array ordered by `order_by` (a list of SQL expressions,
    ascending, NULLs last), from the rows where `where` holds (all when none); repeats dropped when
    `distinct` (then `order_by` must be the value itself). Spark's collect_list has no order: its
    variant sorts structs of the order keys and the value, then keeps the value.
-#}
{% macro ordered_array_agg(value, order_by, where=none, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_array_agg', 'mlcost')(value, order_by, where, distinct)) }}
{%- endmacro %}

{% macro default__ordered_array_agg(value, order_by, where=none, distinct=false) -%}
    array_agg({{ 'distinct ' if distinct }}{{ value }} order by {{ order_by | join(', ') }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro duckdb__ordered_array_agg(value, order_by, where=none, distinct=false) -%}
    list({{ 'distinct ' if distinct }}{{ value }} order by {{ order_by | join(', ') }})
    {%- if where is not none %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro spark__ordered_array_agg(value, order_by, where=none, distinct=false) -%}
    {%- if distinct -%}
    array_sort(collect_set({{ value }}){% if where is not none %} filter (where {{ where }}){% endif %})
    {%- else -%}
    transform(
        array_sort(collect_list(named_struct(
            {%- for key in order_by %}'k{{ loop.index }}', {{ key }}, {% endfor %}'v', {{ value }}
        )){% if where is not none %} filter (where {{ where }}){% endif %}),
        s -> s.v
    )
    {%- endif -%}
{%- endmacro %}

{#- The value of `key` in `map`, NULL when the map lacks it. -#}
{% macro map_value(map, key) -%}
    {{ return(adapter.dispatch('map_value', 'mlcost')(map, key)) }}
{%- endmacro %}

{% macro default__map_value(map, key) -%}
    element_at({{ map }}, {{ key }})
{%- endmacro %}

{% macro duckdb__map_value(map, key) -%}
    {{ map }}[{{ key }}]
{%- endmacro %}

{% macro spark__map_value(map, key) -%}
    {{ map }}[{{ key }}]
{%- endmacro %}

{#- The value of the first entry of `map` whose key, lower-cased, is `key`; NULL when none. -#}
{% macro map_value_ignoring_case(map, key) -%}
    {{ return(adapter.dispatch('map_value_ignoring_case', 'mlcost')(map, key)) }}
{%- endmacro %}

{% macro default__map_value_ignoring_case(map, key) -%}
    element_at(map_values(map_filter({{ map }}, (k, v) -> lower(k) = {{ key }})), 1)
{%- endmacro %}

{% macro duckdb__map_value_ignoring_case(map, key) -%}
    list_filter(map_entries({{ map }}), lambda e: lower(e.key) = {{ key }})[1].value
{%- endmacro %}

{% macro spark__map_value_ignoring_case(map, key) -%}
    try_element_at(map_values(map_filter({{ map }}, (k, v) -> lower(k) = {{ key }})), 1)
{%- endmacro %}

{#- A struct (Trino: row) of `fields`, a list of [name, expression, type] (type: a SQL type). -#}
{% macro struct_of(fields) -%}
    {{ return(adapter.dispatch('struct_of', 'mlcost')(fields)) }}
{%- endmacro %}

{% macro default__struct_of(fields) -%}
    cast(row({% for field in fields %}{{ field[1] }}{{ ', ' if not loop.last }}{% endfor %}) as {{ struct_type(fields) }})
{%- endmacro %}

{% macro duckdb__struct_of(fields) -%}
    struct_pack({% for field in fields %}{{ field[0] }} := cast({{ field[1] }} as {{ field[2] }}){{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro spark__struct_of(fields) -%}
    named_struct({% for field in fields %}'{{ field[0] }}', cast({{ field[1] }} as {{ field[2] }}){{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The SQL type of a struct of `fields` ([name, expression, type]; the expression is not used). -#}
{% macro struct_type(fields) -%}
    {{ return(adapter.dispatch('struct_type', 'mlcost')(fields)) }}
{%- endmacro %}

{% macro default__struct_type(fields) -%}
    row({% for field in fields %}{{ field[0] }} {{ field[2] }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro duckdb__struct_type(fields) -%}
    struct({% for field in fields %}{{ field[0] }} {{ field[2] }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro spark__struct_type(fields) -%}
    struct<{% for field in fields %}{{ field[0] }}: {{ field[2] }}{{ ', ' if not loop.last }}{% endfor %}>
{%- endmacro %}
