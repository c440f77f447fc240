-- Insert one UTC day of hourly endpoint utilization (the day was deleted first, same transaction).
insert into raw.endpoint_utilization by name
select * from incoming
