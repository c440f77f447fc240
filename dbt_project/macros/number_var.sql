{#-
    The dbt var `name` as a non-negative number (a whole one when `whole`), for settings that reach
    SQL through a var (an environment variable in dbt_project.yml). Anything else fails the build
    with one line naming the setting and the value, rather than a SQL error or a silent default.
-#}
{% macro number_var(name, setting, whole=false) -%}
    {%- set value = var(name) | string | trim -%}
    {%- set pattern = '[0-9]+' if whole else '[0-9]+(\\.[0-9]+)?' -%}
    {%- if not modules.re.fullmatch(pattern, value) -%}
        {{ exceptions.raise_compiler_error(
            setting ~ " (dbt var " ~ name ~ ") must be a " ~ ("whole" if whole else "non-negative")
            ~ " number, not '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ value }}
{%- endmacro %}
