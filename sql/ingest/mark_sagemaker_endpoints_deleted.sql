-- Flag stored endpoints that the latest full ListEndpoints of their account and region no longer
-- returns. The row keeps its last known state; deleted_detected_at records the first run that
-- missed it. Only account/region pairs listed successfully in this run ("listed_scopes") count.
update raw.sagemaker_endpoints as e
set
    is_deleted = true,
    deleted_detected_at = coalesce(e.deleted_detected_at, $fetched_at::timestamp)
where
    not e.is_deleted
    and exists (
        select 1 from listed_scopes as s
        where s.account_id = e.account_id and s.region = e.region
    )
    and e.endpoint_arn not in (select endpoint_arn from listed_endpoints)
