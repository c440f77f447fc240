-- Rows, requests and tokens stored per source for the partition's hours, reported in the asset's metadata.
select
    source,
    count(*) as row_count,
    coalesce(sum(invocations), 0)::bigint as invocations,
    coalesce(sum(input_tokens), 0)::bigint as input_tokens,
    coalesce(sum(output_tokens), 0)::bigint as output_tokens
from raw.bedrock_invocations
where hour_start >= $start_at::timestamp and hour_start < $end_at::timestamp
group by source
order by source
