{#-
    An amount of money (DECIMAL) divided by a whole number (a count of days), as DECIMAL(38, 10),
    truncated toward zero. DuckDB divides DECIMALs as DOUBLE, whose 15 to 17 significant digits no
    longer reach the 10th decimal once an amount passes about $1,000,000; this divides the amount in
    ten-billionths as a HUGEINT instead, so the result is exact to the 10th decimal. Truncating keeps
    a mean of decimals between their minimum and maximum (both are on the same 10-decimal grid).
-#}
{% macro divide_money(amount, divisor) -%}
    cast(
        cast(cast(cast({{ amount }} as decimal(38, 10)) * 10000000000 as hugeint) // ({{ divisor }}) as decimal(38, 0))
        * 0.0000000001
        as decimal(38, 10)
    )
{%- endmacro %}
