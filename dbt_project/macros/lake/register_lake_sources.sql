{#- On-run-start (dbt_project.yml): the `raw` sources over the lake (docs/engines.md#building-on-spark).

On DuckDB the raw tables are in the warehouse itself: nothing to do. On Spark each raw source table
is an external Parquet table on the lake's folder for it (var lake_uri, from MLCOST_LAKE_URI), which
`mlcost lake export` and ingest write:

- billing_line_items is partitioned by billing_period. Its folders are billing_period=YYYY-MM and its
  files hold every other column; the partition column is declared DATE, and Spark reads the folder
  value 'YYYY-MM' as that month's first day (2025-02 -> 2025-02-01), the DATE DuckDB's
  raw.billing_line_items holds. The data columns and their types are read from the files. MSCK
  REPAIR ... SYNC PARTITIONS adds the periods written since the last build and drops removed ones.
- every other table is the one file under <lake>/<table>/, its schema read from the file.

REFRESH TABLE makes a long-lived session list the files again, so a replaced file is read anew. -#}
{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'mlcost')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set lake = (var('lake_uri') or '') | trim -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error(
                "MLCOST_LAKE_URI is not set: the Spark build reads the raw tables from the lake "
                ~ "(`mlcost lake export` writes it; docs/engines.md#building-on-spark)") }}
        {%- endif -%}
        {%- set lake = lake.rstrip('/') -%}
        {%- set tables = graph.sources.values() | selectattr('source_name', 'equalto', 'raw')
            | map(attribute='name') | unique | sort -%}
        {%- do run_query('create database if not exists raw') -%}
        {%- for table in tables -%}
            {%- set location = lake ~ '/' ~ table -%}
            {%- if table == 'billing_line_items' -%}
                {%- set columns = run_query("describe query select * from parquet.`" ~ location ~ "`") -%}
                {%- set data_columns = [] -%}
                {%- for column in columns if column[0] != 'billing_period' -%}
                    {%- do data_columns.append('`' ~ column[0] ~ '` ' ~ column[1]) -%}
                {%- endfor -%}
                {%- do run_query(
                    'create table if not exists raw.billing_line_items (' ~ data_columns | join(', ')
                    ~ ", billing_period date) using parquet partitioned by (billing_period) location '"
                    ~ location ~ "'") -%}
                {%- do run_query('msck repair table raw.billing_line_items sync partitions') -%}
            {%- else -%}
                {%- do run_query(
                    'create table if not exists raw.`' ~ table ~ "` using parquet location '" ~ location ~ "'") -%}
            {%- endif -%}
            {%- do run_query('refresh table raw.`' ~ table ~ '`') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
