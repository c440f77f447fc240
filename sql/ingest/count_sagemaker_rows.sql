-- Row count of one SageMaker raw table, reported in the asset's metadata. {table} is a quoted identifier.
select count(*) from raw.{table}
