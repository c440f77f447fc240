{#-
    The value of the first tag whose key matches one of `aliases` (a list of lower-case keys, in
    priority order); empty values count as missing. Returns lower-cased, trimmed text or null.

    The ingesters lower-case tag keys, so an exact lookup finds them (fast: one map probe per
    alias). Keys in another case are still found, by a slower scan that only runs for rows whose
    map has a key that is not lower-case and where the exact lookup found nothing.
-#}
{% macro tag_lookup(tags, aliases) -%}
    case
        when coalesce(cardinality({{ tags }}), 0) > 0 then lower(coalesce(
            list_filter(
                list_transform({{ aliases }}, lambda a: nullif(trim({{ tags }}[a]), '')),
                lambda v: v is not null
            )[1],
            case
                when list_bool_or(list_transform(map_keys({{ tags }}), lambda k: k <> lower(k))) then
                    list_filter(
                        list_transform(
                            {{ aliases }},
                            lambda a: nullif(trim(list_filter(map_entries({{ tags }}), lambda e: lower(e.key) = a)[1].value), '')
                        ),
                        lambda v: v is not null
                    )[1]
            end
        ))
    end
{%- endmacro %}
