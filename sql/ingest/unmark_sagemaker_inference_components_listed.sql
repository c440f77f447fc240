-- An inference component flagged deleted that the latest full listing returns again (a transient
-- listing gap) is live: clear its deletion flag.
update raw.sagemaker_inference_components
set is_deleted = false, deleted_detected_at = null
where is_deleted and inference_component_arn in (select inference_component_arn from listed_components)
