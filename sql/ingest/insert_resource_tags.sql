-- Insert the tags just read for the accounts and regions whose old rows were deleted first.
insert into raw.resource_tags by name
select * from incoming_resource_tags
