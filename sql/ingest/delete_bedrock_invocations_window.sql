-- Remove the Bedrock invocation counts about to be re-inserted in the same transaction: for each
-- replaced scope (a source and, for CloudWatch, one account and region) the hours in
-- [start_at, end_at). A re-fetch therefore never double counts, and a source or region that failed
-- keeps its rows.
delete from raw.bedrock_invocations as b
where exists (
    select 1 from replaced_scopes as s
    where
        s.source = b.source
        and (s.account_id is null or (s.account_id = b.account_id and s.region = b.region))
        and b.hour_start >= s.start_at
        and b.hour_start < s.end_at
)
