{#-
    The value of the first tag whose key matches one of `aliases` (a list column of lower-case
    keys, in priority order), compared case-insensitively; empty values count as missing.
    Returns lower-cased, trimmed text or null.
-#}
{% macro tag_lookup(tags, aliases) -%}
    lower(list_filter(
        list_transform(
            {{ aliases }},
            lambda a: nullif(trim(list_filter(map_entries({{ tags }}), lambda e: lower(e.key) = a)[1].value), '')
        ),
        lambda v: v is not null
    )[1])
{%- endmacro %}
