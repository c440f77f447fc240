-- Remove one UTC day of prediction counts for the sources (and, for CloudWatch, the accounts and
-- regions) about to be re-inserted in the same transaction, so a re-fetch never double counts and a
-- source or region that was not re-fetched keeps its rows.
delete from raw.prediction_counts as p
where
    p.hour_start >= $day_start::timestamp
    and p.hour_start < $day_end::timestamp
    and exists (
        select 1 from replaced_scopes as s
        where
            s.source = p.source
            and (s.account_id is null or (s.account_id = p.account_id and s.region = p.region))
    )
