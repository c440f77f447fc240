-- Training jobs whose CloudWatch host metrics to fetch for [start_at, end_at): every stored job that
-- ran in the window, with its instance count (hosts are algo-1 .. algo-<instance_count>).
select distinct
    account_id,
    region,
    training_job_name,
    coalesce(instance_count, 1) as instance_count
from raw.sagemaker_training_jobs
where
    started_at < $end_at::timestamp
    and coalesce(ended_at, $end_at::timestamp) >= $start_at::timestamp
order by all
