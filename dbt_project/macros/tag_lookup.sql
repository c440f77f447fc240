{#-
    The value of the first tag whose key matches one of `aliases` (an array of lower-case keys, in
    priority order); empty values count as missing. Returns lower-cased, trimmed text or null.

    The ingesters lower-case tag keys, so an exact lookup finds them (fast: one map probe per
    alias). Keys in another case are still found, by a slower scan that only runs for rows whose
    map has a key that is not lower-case and where the exact lookup found nothing.
-#}
{% macro tag_lookup(tags, aliases) -%}
    case
        when coalesce(cardinality({{ tags }}), 0) > 0 then lower(coalesce(
            {{ array_first(array_filter(
                array_transform(aliases, 'a', "nullif(trim(" ~ map_value(tags, 'a') ~ "), '')"),
                'v', 'v is not null'
            )) }},
            case
                when {{ array_any('map_keys(' ~ tags ~ ')', 'k', 'k <> lower(k)') }} then
                    {{ array_first(array_filter(
                        array_transform(aliases, 'a', "nullif(trim(" ~ map_value_ignoring_case(tags, 'a') ~ "), '')"),
                        'v', 'v is not null'
                    )) }}
            end
        ))
    end
{%- endmacro %}
