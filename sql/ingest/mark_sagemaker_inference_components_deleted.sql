-- Flag stored inference components that the latest full ListInferenceComponents of their account
-- and region no longer returns. The row keeps its last known state (its copies and reservation
-- still divide the endpoint's cost up to deleted_detected_at, the first run that missed it). Only
-- account/region pairs listed successfully in this run ("listed_scopes") count.
update raw.sagemaker_inference_components as c
set
    is_deleted = true,
    deleted_detected_at = coalesce(c.deleted_detected_at, $fetched_at::timestamp)
where
    not c.is_deleted
    and exists (
        select 1 from listed_scopes as s
        where s.account_id = c.account_id and s.region = c.region
    )
    and c.inference_component_arn not in (select inference_component_arn from listed_components)
