-- Warehouses made before batch transform records were counted get the column: the transform job
-- that scored the records (prediction logs with a transform job column); NULL for predictions.
alter table raw.prediction_counts add column if not exists transform_job_name varchar
