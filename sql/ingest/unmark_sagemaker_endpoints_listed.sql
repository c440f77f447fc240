-- An endpoint flagged deleted that the latest full listing returns again (a transient listing gap,
-- or recreated under the same name and ARN) is live: clear its deletion flag.
update raw.sagemaker_endpoints
set is_deleted = false, deleted_detected_at = null
where is_deleted and endpoint_arn in (select endpoint_arn from listed_endpoints)
