-- Upsert freshly described SageMaker resources by ARN (the table's primary key), so re-describing a
-- changed job or endpoint replaces its row instead of adding a second one. {table} is a quoted
-- identifier; the rows come from the registered Arrow table "incoming".
insert or replace into raw.{table} by name
select * from incoming
