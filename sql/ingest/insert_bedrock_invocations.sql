-- Insert the hourly Bedrock invocation counts of the window (deleted first, same transaction).
insert into raw.bedrock_invocations by name
select * from incoming
