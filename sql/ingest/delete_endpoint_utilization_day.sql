-- Remove one UTC day of endpoint utilization for the accounts and regions about to be re-inserted in
-- the same transaction, so a re-fetch replaces the day instead of adding to it.
delete from raw.endpoint_utilization as u
where
    u.hour_start >= $day_start::timestamp
    and u.hour_start < $day_end::timestamp
    and exists (
        select 1 from replaced_scopes as s
        where s.account_id = u.account_id and s.region = u.region
    )
