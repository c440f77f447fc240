-- Insert one UTC day of hourly training job utilization (the day was deleted first, same transaction).
insert into raw.training_job_utilization by name
select * from incoming
