-- Remove the training job utilization about to be re-inserted in the same transaction: for each
-- replaced account and region the hours in [start_at, end_at), so a re-fetch replaces them instead
-- of adding to them and a region that failed keeps its rows.
delete from raw.training_job_utilization as u
where exists (
    select 1 from replaced_scopes as s
    where
        s.account_id = u.account_id
        and s.region = u.region
        and u.hour_start >= s.start_at
        and u.hour_start < s.end_at
)
