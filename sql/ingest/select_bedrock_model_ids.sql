-- Model IDs CloudWatch has reported before per account and region (in the 30 days before the window
-- or in it), asked for again when ListMetrics cannot see them: it only lists metrics with data in
-- the last two weeks.
select distinct
    account_id,
    region,
    model_id
from raw.bedrock_invocations
where
    source = 'cloudwatch'
    and hour_start >= $start_at::timestamp - interval 30 day
    and hour_start < $end_at::timestamp
order by account_id, region, model_id
