-- Insert one UTC day of hourly prediction counts (the day was deleted first, same transaction).
insert into raw.prediction_counts by name
select * from incoming
