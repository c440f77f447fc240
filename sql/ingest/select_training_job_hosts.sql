-- Training jobs whose CloudWatch host metrics to fetch for [start_at, end_at): every stored job that
-- ran in the window, with its instance count (hosts are algo-1 .. algo-<instance_count>) and the
-- hours it ran (an unfinished job: until the window ends), so each job is asked only for its hours.
select distinct
    account_id,
    region,
    training_job_name,
    coalesce(instance_count, 1) as instance_count,
    greatest(date_trunc('hour', started_at), $start_at::timestamp) as from_at,
    least(coalesce(ended_at, $end_at::timestamp), $end_at::timestamp) as to_at
from raw.sagemaker_training_jobs
where
    started_at < $end_at::timestamp
    and coalesce(ended_at, $end_at::timestamp) >= $start_at::timestamp
order by all
