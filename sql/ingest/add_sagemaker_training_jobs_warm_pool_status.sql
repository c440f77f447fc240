-- Warehouses made before training jobs recorded warm pools get the column: the warm pool's state (WarmPoolStatus.Status: Available, Terminated, Reused, InUse).
-- Rows described before stay NULL until the job is described again.
alter table raw.sagemaker_training_jobs add column if not exists warm_pool_status varchar
