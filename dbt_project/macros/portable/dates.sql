{#-
    Dates and times that each engine spells its own way (docs/engines.md). DuckDB is the default
    engine; Spark runs the same models through dbt-spark; `default__` is the Trino spelling, which
    dbt-trino and dbt-athena (Athena engine v3 is Trino) both dispatch to. Timestamps are UTC
    wall-clock times without a zone everywhere (Spark: timestamp_ntz, with
    spark.sql.session.timeZone=UTC for the few `timestamp` casts).
-#}

{#- Whole `part`s (day, hour, second) from `start` to `end` (negative when end is earlier). -#}
{% macro datetime_diff(part, start, end) -%}
    {{ return(adapter.dispatch('datetime_diff', 'mlcost')(part, start, end)) }}
{%- endmacro %}

{% macro default__datetime_diff(part, start, end) -%}
    date_diff('{{ part }}', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__datetime_diff(part, start, end) -%}
    timestampdiff({{ part }}, {{ start }}, {{ end }})
{%- endmacro %}

{#-
    The dates from `start` to `stop` (both included) as an array, for unnest_join (which gives no
    rows when stop is before start or either is NULL).
-#}
{% macro date_array(start, stop) -%}
    {{ return(adapter.dispatch('date_array', 'mlcost')(start, stop)) }}
{%- endmacro %}

{% macro default__date_array(start, stop) -%}
    case when cast({{ start }} as date) <= cast({{ stop }} as date)
        then sequence(cast({{ start }} as date), cast({{ stop }} as date), interval '1' day) end
{%- endmacro %}

{% macro duckdb__date_array(start, stop) -%}
    cast(generate_series(cast({{ start }} as timestamp), cast({{ stop }} as timestamp), interval '1' day) as date[])
{%- endmacro %}

{% macro spark__date_array(start, stop) -%}
    case when cast({{ start }} as date) <= cast({{ stop }} as date)
        then sequence(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day) end
{%- endmacro %}

{#- The hours starting at `from_at`, up to (not including) `to_at`, as an array of timestamps. -#}
{% macro hour_array(from_at, to_at) -%}
    {{ return(adapter.dispatch('hour_array', 'mlcost')(from_at, to_at)) }}
{%- endmacro %}

{% macro default__hour_array(from_at, to_at) -%}
    case when {{ from_at }} < {{ to_at }}
        then sequence({{ from_at }}, date_add('millisecond', -1, {{ to_at }}), interval '1' hour) end
{%- endmacro %}

{% macro duckdb__hour_array(from_at, to_at) -%}
    generate_series({{ from_at }}, {{ to_at }} - interval '1' microsecond, interval '1' hour)
{%- endmacro %}

{% macro spark__hour_array(from_at, to_at) -%}
    case when {{ from_at }} < {{ to_at }} then sequence(
        cast({{ from_at }} as timestamp_ntz), cast({{ to_at }} as timestamp_ntz) - interval 1 microsecond, interval 1 hour
    ) end
{%- endmacro %}

{#- The whole numbers from `start` to `stop` (both included; none when stop is smaller) as an array of integers. -#}
{% macro integer_array(start, stop) -%}
    {{ return(adapter.dispatch('integer_array', 'mlcost')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_array(start, stop) -%}
    case when {{ start }} <= {{ stop }}
        then cast(sequence({{ start }}, {{ stop }}) as array(integer)) end
{%- endmacro %}

{% macro duckdb__integer_array(start, stop) -%}
    cast(generate_series({{ start }}, {{ stop }}) as integer[])
{%- endmacro %}

{% macro spark__integer_array(start, stop) -%}
    case when {{ start }} <= {{ stop }} then sequence(cast({{ start }} as integer), cast({{ stop }} as integer)) end
{%- endmacro %}

{#- `date` plus `days` (a whole number, negative for earlier), a DATE. -#}
{% macro add_days(date, days) -%}
    {{ return(adapter.dispatch('add_days', 'mlcost')(date, days)) }}
{%- endmacro %}

{% macro default__add_days(date, days) -%}
    date_add('day', {{ days }}, {{ date }})
{%- endmacro %}

{% macro duckdb__add_days(date, days) -%}
    ({{ date }}) + ({{ days }})
{%- endmacro %}

{% macro spark__add_days(date, days) -%}
    ({{ date }}) + ({{ days }})
{%- endmacro %}

{#- The last day of the month of `date`, a DATE. -#}
{% macro month_end(date) -%}
    {{ return(adapter.dispatch('month_end', 'mlcost')(date)) }}
{%- endmacro %}

{% macro default__month_end(date) -%}
    last_day_of_month({{ date }})
{%- endmacro %}

{% macro duckdb__month_end(date) -%}
    cast(last_day({{ date }}) as date)
{%- endmacro %}

{% macro spark__month_end(date) -%}
    cast(last_day({{ date }}) as date)
{%- endmacro %}

{#- A date as text in a strftime `format` (only %Y, %m and %d are used, and translated). -#}
{% macro format_date(date, format) -%}
    {{ return(adapter.dispatch('format_date', 'mlcost')(date, format)) }}
{%- endmacro %}

{% macro default__format_date(date, format) -%}
    date_format({{ date }}, '{{ format }}')
{%- endmacro %}

{% macro duckdb__format_date(date, format) -%}
    strftime({{ date }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_date(date, format) -%}
    date_format({{ date }}, '{{ format | replace("%Y", "yyyy") | replace("%m", "MM") | replace("%d", "dd") }}')
{%- endmacro %}

{#- Today's date in UTC, whatever the session's time zone. -#}
{% macro utc_today() -%}
    {{ return(adapter.dispatch('utc_today', 'mlcost')()) }}
{%- endmacro %}

{% macro default__utc_today() -%}
    cast(current_timestamp at time zone 'UTC' as date)
{%- endmacro %}

{% macro duckdb__utc_today() -%}
    cast(timezone('UTC', now()) as date)
{%- endmacro %}

{% macro spark__utc_today() -%}
    cast(to_utc_timestamp(current_timestamp(), current_timezone()) as date)
{%- endmacro %}

{#- The English name of a date's weekday: `Monday`. -#}
{% macro weekday_name(date) -%}
    {{ return(adapter.dispatch('weekday_name', 'mlcost')(date)) }}
{%- endmacro %}

{% macro default__weekday_name(date) -%}
    date_format({{ date }}, '%W')
{%- endmacro %}

{% macro duckdb__weekday_name(date) -%}
    dayname({{ date }})
{%- endmacro %}

{% macro spark__weekday_name(date) -%}
    date_format({{ date }}, 'EEEE')
{%- endmacro %}
