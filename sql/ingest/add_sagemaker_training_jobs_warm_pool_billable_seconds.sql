-- Warehouses made before training jobs recorded warm pools get the column: seconds the warm pool was billed while waiting (WarmPoolStatus.ResourceRetainedBillableTimeInSeconds).
-- Rows described before stay NULL until the job is described again.
alter table raw.sagemaker_training_jobs add column if not exists warm_pool_billable_seconds bigint
