{#-
    Regular expressions and hashes (docs/engines.md). Patterns are RE2 (DuckDB) or Java (Spark,
    Trino) syntax: write the common subset ((?i), classes, groups, anchors; no lookaround). Spark
    reads backslashes in string literals as escapes, so its variants double those in a pattern
    literal; replacements name groups `$1` (Spark, Trino), translated to `\1` for DuckDB.
    Every engine's regexp_replace below replaces every match.
-#}

{#- True when `pattern` matches somewhere in `text`. -#}
{% macro regex_matches(text, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'mlcost')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro duckdb__regex_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_matches(text, pattern) -%}
    regexp_like({{ text }}, {{ pattern | replace('\\', '\\\\') }})
{%- endmacro %}

{#- Capture group `group` of the first match of `pattern` in `text`; '' when none (NULL on Trino). -#}
{% macro regex_extract(text, pattern, group) -%}
    {{ return(adapter.dispatch('regex_extract', 'mlcost')(text, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro spark__regex_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ pattern | replace('\\', '\\\\') }}, {{ group }})
{%- endmacro %}

{#- `text` with every match of `pattern` replaced by `replacement` (groups as `$1`). -#}
{% macro regex_replace(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'mlcost')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro duckdb__regex_replace(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ modules.re.sub('[$]([0-9])', '\\\\\\1', replacement) }}, 'g')
{%- endmacro %}

{% macro spark__regex_replace(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern | replace('\\', '\\\\') }}, {{ replacement }})
{%- endmacro %}

{#- `text` split at every match of `pattern`, as an array. -#}
{% macro regex_split(text, pattern) -%}
    {{ return(adapter.dispatch('regex_split', 'mlcost')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_split(text, pattern) -%}
    regexp_split({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro duckdb__regex_split(text, pattern) -%}
    string_split_regex({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_split(text, pattern) -%}
    split({{ text }}, {{ pattern | replace('\\', '\\\\') }})
{%- endmacro %}

{#- SHA-256 of `text` (UTF-8) as 64 lower-case hex digits. -#}
{% macro sha256_hex(text) -%}
    {{ return(adapter.dispatch('sha256_hex', 'mlcost')(text)) }}
{%- endmacro %}

{% macro default__sha256_hex(text) -%}
    lower(to_hex(sha256(to_utf8({{ text }}))))
{%- endmacro %}

{% macro duckdb__sha256_hex(text) -%}
    sha256({{ text }})
{%- endmacro %}

{% macro spark__sha256_hex(text) -%}
    sha2({{ text }}, 256)
{%- endmacro %}

{#- MD5 of `text` (UTF-8) as 32 lower-case hex digits. -#}
{% macro md5_hex(text) -%}
    {{ return(adapter.dispatch('md5_hex', 'mlcost')(text)) }}
{%- endmacro %}

{% macro default__md5_hex(text) -%}
    lower(to_hex(md5(to_utf8({{ text }}))))
{%- endmacro %}

{% macro duckdb__md5_hex(text) -%}
    md5({{ text }})
{%- endmacro %}

{% macro spark__md5_hex(text) -%}
    md5({{ text }})
{%- endmacro %}

{#-
    Aggregate: the values of `value` joined with `separator`, ordered by `order_by` (repeats dropped
    when `distinct`, then `order_by` must be the value itself); NULLs are left out. Spark 4.3's
    listagg fails to plan inside larger queries (ClassCastException in ListAgg), so Spark sorts
    collected structs instead.
-#}
{% macro ordered_string_agg(value, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'mlcost')(value, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(value, separator, order_by, distinct=false) -%}
    listagg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }}) within group (order by {{ order_by }})
{%- endmacro %}

{% macro duckdb__ordered_string_agg(value, separator, order_by, distinct=false) -%}
    string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(value, separator, order_by, distinct=false) -%}
    {%- if distinct -%}
    array_join(array_sort(collect_set({{ value }})), {{ separator }})
    {%- else -%}
    array_join(transform(array_sort(collect_list(named_struct('k', {{ order_by }}, 'v', {{ value }}))), s -> s.v), {{ separator }})
    {%- endif -%}
{%- endmacro %}
