-- Warehouses made before training jobs recorded warm pools get the column: how long the job's instances were asked to stay warm (ResourceConfig.KeepAlivePeriodInSeconds).
-- Rows described before stay NULL until the job is described again.
alter table raw.sagemaker_training_jobs add column if not exists keep_alive_seconds bigint
