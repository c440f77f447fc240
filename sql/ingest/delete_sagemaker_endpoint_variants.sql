-- Drop the variants of every endpoint that was just re-described (same transaction as the insert),
-- so a variant removed from an endpoint config does not linger.
delete from raw.sagemaker_endpoint_variants
where endpoint_arn in (select endpoint_arn from incoming_endpoints)
