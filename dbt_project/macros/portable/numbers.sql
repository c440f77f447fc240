{#- Arithmetic, statistics and number formatting that each engine spells its own way (docs/engines.md). -#}

{#- Integer division truncated toward zero, of two whole numbers. -#}
{% macro integer_divide(dividend, divisor) -%}
    {{ return(adapter.dispatch('integer_divide', 'mlcost')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) / ({{ divisor }})
{%- endmacro %}

{% macro duckdb__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) // ({{ divisor }})
{%- endmacro %}

{% macro spark__integer_divide(dividend, divisor) -%}
    ({{ dividend }}) div ({{ divisor }})
{%- endmacro %}

{#-
    An amount of money (DECIMAL) divided by a whole number (a count of days), as DECIMAL(38, 10).
    DuckDB divides DECIMALs as DOUBLE, whose 15 to 17 significant digits no longer reach the 10th
    decimal once an amount passes about $1,000,000; there the amount is divided in ten-billionths as
    a HUGEINT instead, truncated toward zero, so the result is exact to the 10th decimal (truncating
    keeps a mean of decimals between their minimum and maximum: both are on the same grid). Spark
    and Trino divide DECIMALs exactly and round the 10th decimal half up, which keeps that too.
-#}
{% macro divide_money(amount, divisor) -%}
    {{ return(adapter.dispatch('divide_money', 'mlcost')(amount, divisor)) }}
{%- endmacro %}

{% macro default__divide_money(amount, divisor) -%}
    cast(cast({{ amount }} as decimal(38, 10)) / ({{ divisor }}) as decimal(38, 10))
{%- endmacro %}

{% macro duckdb__divide_money(amount, divisor) -%}
    cast(
        cast(cast(cast({{ amount }} as decimal(38, 10)) * 10000000000 as hugeint) // ({{ divisor }}) as decimal(38, 0))
        * 0.0000000001
        as decimal(38, 10)
    )
{%- endmacro %}

{#-
    The median of `expr`, as an aggregate or, followed by `over (...)`, a window function with a
    frame. Trino has no exact median: its approx_percentile is within about 1% of rank.
-#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'mlcost')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    approx_percentile({{ expr }}, 0.5)
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}

{#- The continuous (interpolated) `fraction` quantile of `expr`, an aggregate. Trino: approximate. -#}
{% macro percentile_cont(expr, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'mlcost')(expr, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expr, fraction) -%}
    approx_percentile({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, fraction) -%}
    quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expr, fraction) -%}
    percentile({{ expr }}, {{ fraction }})
{%- endmacro %}

{#- A number as text with `decimals` decimals, thousands separated by commas when `grouping`. -#}
{% macro format_number(expr, decimals, grouping=false) -%}
    {{ return(adapter.dispatch('format_number', 'mlcost')(expr, decimals, grouping)) }}
{%- endmacro %}

{% macro default__format_number(expr, decimals, grouping=false) -%}
    format('%{{ "," if grouping }}.{{ decimals }}f', {{ expr }})
{%- endmacro %}

{% macro duckdb__format_number(expr, decimals, grouping=false) -%}
    format('{:{{ "," if grouping }}.{{ decimals }}f}', {{ expr }})
{%- endmacro %}

{% macro spark__format_number(expr, decimals, grouping=false) -%}
    {#- Java's %f takes no Spark DECIMAL: the number goes in as DOUBLE. -#}
    format_string('%{{ "," if grouping }}.{{ decimals }}f', cast({{ expr }} as double))
{%- endmacro %}

{#- A DOUBLE as short text, like printf's %g for the values used here: 80.0 -> `80`, 92.5 -> `92.5`. -#}
{% macro number_text(expr) -%}
    {{ return(adapter.dispatch('number_text', 'mlcost')(expr)) }}
{%- endmacro %}

{% macro default__number_text(expr) -%}
    case
        when {{ expr }} = floor({{ expr }}) then cast(cast({{ expr }} as bigint) as varchar)
        else cast({{ expr }} as varchar)
    end
{%- endmacro %}

{% macro duckdb__number_text(expr) -%}
    printf('%g', {{ expr }})
{%- endmacro %}

{% macro spark__number_text(expr) -%}
    case
        when {{ expr }} = floor({{ expr }}) then cast(cast({{ expr }} as bigint) as string)
        else cast({{ expr }} as string)
    end
{%- endmacro %}
