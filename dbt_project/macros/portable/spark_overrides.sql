{#-
    Two of dbt-spark's macros, overridden for this project (dbt looks in the root project first).

    dbt unit test fixtures on Spark. Fixture rows write lists and maps as DuckDB reads them from text
    (`[80.0, 90.0]`, `{team=research, model=churn}`, `[{name: a, cost: 1}]`); dbt-spark cannot cast text to an array or a map,
    so this override of dbt's spark__safe_cast (the cast dbt applies to every fixture value) turns
    such text into an array(), map() or named_struct() expression. Every other value is cast as dbt-spark does.
-#}
{% macro spark__safe_cast(field, type) -%}
    {%- set type_lower = type | lower -%}
    {%- set text = field.strip("'").replace("\\'", "'") if field is string else none -%}
    {%- if text is not none and type_lower.startswith('array') and text.startswith('[{') and text.endswith('}]') -%}
        {%- set structs = [] -%}
        {%- for body in modules.re.findall('[{]([^}]*)[}]', text) -%}
            {%- set fields = [] -%}
            {%- for entry in body.split(', ') -%}
                {%- set name_value = entry.split(': ', 1) -%}
                {%- do fields.append("'" ~ name_value[0] ~ "', " ~ fixture_elements(name_value[1])[0]) -%}
            {%- endfor -%}
            {%- do structs.append('named_struct(' ~ fields | join(', ') ~ ')') -%}
        {%- endfor -%}
        cast(array({{ structs | join(', ') }}) as {{ type }})
    {%- elif text is not none and type_lower.startswith('array') and text.startswith('[') and text.endswith(']') -%}
        cast(array({{ fixture_elements(text[1:-1]) | join(', ') }}) as {{ type }})
    {%- elif text is not none and type_lower.startswith('map') and text.startswith('{') and text.endswith('}') -%}
        {%- set entries = [] -%}
        {%- for entry in text[1:-1].split(', ') if entry.strip() -%}
            {%- set key_value = entry.split('=', 1) -%}
            {%- do entries.extend(fixture_elements(key_value[0] ~ ', ' ~ key_value[1], quote_bare=true)) -%}
        {%- endfor -%}
        cast(map({{ entries | join(', ') }}) as {{ type }})
    {%- elif field is string and (type_lower.startswith('struct') or type_lower.startswith('array') or type_lower.startswith('map')) -%}
        cast({{ field.strip('"').strip("'") }} as {{ type }})
    {%- else -%}
        cast({{ field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}

{#- The comma-separated elements of a DuckDB list or map text as Spark literals (bare words quoted when `quote_bare`). -#}
{% macro fixture_elements(text, quote_bare=false) -%}
    {%- set elements = [] -%}
    {%- for element in text.split(', ') if element.strip() -%}
        {%- set element = element.strip() -%}
        {%- if element.startswith("'") and element.endswith("'") and element | length >= 2 -%}
            {%- do elements.append("'" ~ element[1:-1].replace("'", "\\'") ~ "'") -%}
        {%- elif quote_bare or not modules.re.fullmatch('-?[0-9.]+(e-?[0-9]+)?|null|true|false', element | lower) -%}
            {%- do elements.append("'" ~ element.replace("'", "\\'") ~ "'") -%}
        {%- else -%}
            {%- do elements.append(element) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(elements) }}
{%- endmacro %}

{#-
    Seeds on Spark. dbt-spark's session method puts each CSV value into the INSERT between quotes
    without escaping it, so a value with an apostrophe (bedrock_usage_types' sources) breaks the
    statement and Spark reads backslashes in the rest as escapes (bedrock_model_aliases' patterns
    lose theirs). This writes each value as an escaped literal instead.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- elif value is number and value is not boolean -%}
                        cast({{ value }} as {{ type }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {{ ', ' if not loop.last }}
                {%- endfor -%})
                {{- ',' if not loop.last }}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
