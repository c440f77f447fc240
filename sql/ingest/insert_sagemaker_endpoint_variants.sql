-- Insert the variants of the endpoints just re-described (their old variants were deleted first).
insert into raw.sagemaker_endpoint_variants by name
select * from incoming_variants
