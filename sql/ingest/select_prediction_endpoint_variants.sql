-- Endpoint variants whose CloudWatch metrics to fetch for [start_at, end_at): every stored variant
-- of an endpoint created before the window ends and not flagged deleted before it starts. Deleted
-- endpoints stay in raw.sagemaker_endpoints, so their history can still be re-fetched.
select distinct
    v.account_id,
    v.region,
    v.endpoint_name,
    v.variant_name
from raw.sagemaker_endpoint_variants as v
inner join raw.sagemaker_endpoints as e on v.endpoint_arn = e.endpoint_arn
where
    (e.created_at is null or e.created_at < $end_at::timestamp)
    and (not e.is_deleted or e.deleted_detected_at is null or e.deleted_detected_at >= $start_at::timestamp)
order by all
