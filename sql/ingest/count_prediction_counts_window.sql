-- Rows and predictions stored per source for the partition's hours, reported in the asset's metadata.
select
    source,
    count(*) as row_count,
    sum(predictions)::bigint as predictions
from raw.prediction_counts
where hour_start >= $start_at::timestamp and hour_start < $end_at::timestamp
group by source
order by source
