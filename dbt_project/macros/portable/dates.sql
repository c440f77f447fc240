{#-
    Dates and times that each engine spells its own way (docs/engines.md). DuckDB is the default
    engine; Spark runs the same models through dbt-spark; `default__` is the ANSI / Trino (Athena)
    spelling. Timestamps are UTC wall-clock times without a zone everywhere (Spark: timestamp_ntz,
    with spark.sql.session.timeZone=UTC for the few `timestamp` casts).
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
    A select-list generator: one row per date from `start` to `stop` (both included; none when stop
    is before start or either is NULL). Trino spells this `cross join unnest(sequence(...))`, which
    is not a select-list expression: a Trino port adds a `trino__` variant where it is used.
-#}
{% macro date_series(start, stop) -%}
    {{ return(adapter.dispatch('date_series', 'mlcost')(start, stop)) }}
{%- endmacro %}

{% macro default__date_series(start, stop) -%}
    cast(unnest(generate_series(cast({{ start }} as timestamp), cast({{ stop }} as timestamp), interval '1' day)) as date)
{%- endmacro %}

{% macro spark__date_series(start, stop) -%}
    explode(case when cast({{ start }} as date) <= cast({{ stop }} as date)
        then sequence(cast({{ start }} as date), cast({{ stop }} as date), interval 1 day) end)
{%- endmacro %}

{#- A select-list generator: one row per hour starting at `from_at`, up to (not including) `to_at`. -#}
{% macro hour_series(from_at, to_at) -%}
    {{ return(adapter.dispatch('hour_series', 'mlcost')(from_at, to_at)) }}
{%- endmacro %}

{% macro default__hour_series(from_at, to_at) -%}
    unnest(generate_series({{ from_at }}, {{ to_at }} - interval '1' microsecond, interval '1' hour))
{%- endmacro %}

{% macro spark__hour_series(from_at, to_at) -%}
    explode(case when {{ from_at }} < {{ to_at }} then sequence(
        cast({{ from_at }} as timestamp_ntz), cast({{ to_at }} as timestamp_ntz) - interval 1 microsecond, interval 1 hour
    ) end)
{%- endmacro %}

{#- A select-list generator: one row per whole number from `start` to `stop` (both included). -#}
{% macro integer_series(start, stop) -%}
    {{ return(adapter.dispatch('integer_series', 'mlcost')(start, stop)) }}
{%- endmacro %}

{% macro default__integer_series(start, stop) -%}
    cast(unnest(range({{ start }}, {{ stop }} + 1)) as integer)
{%- endmacro %}

{% macro spark__integer_series(start, stop) -%}
    explode(sequence(cast({{ start }} as integer), cast({{ stop }} as integer)))
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
