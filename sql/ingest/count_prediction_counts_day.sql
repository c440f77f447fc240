-- Rows and predictions stored for one UTC day per source, reported in the asset's metadata.
select source, count(*) as row_count, sum(predictions)::bigint as predictions
from raw.prediction_counts
where hour_start >= $day_start::timestamp and hour_start < $day_end::timestamp
group by source
order by source
