"""mlcost: an ML cost warehouse on Dagster, dbt and DuckDB."""
