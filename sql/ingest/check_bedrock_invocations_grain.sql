-- Rows of raw.bedrock_invocations that break its grain (more than one row per hour, source, account,
-- region, model ID and caller) or count negative requests or tokens. Any row here means a day was
-- loaded twice or a log file is wrong; cost per 1,000 tokens would be off.
select
    count(*) filter (where n > 1) as duplicated_keys,
    coalesce(sum(negative), 0) as negative_rows
from (
    select
        count(*) as n,
        count(*) filter (
            where invocations < 0 or input_tokens < 0 or output_tokens < 0
            or cache_read_input_tokens < 0 or cache_write_input_tokens < 0
        ) as negative
    from raw.bedrock_invocations
    group by hour_start, source, account_id, region, model_id, caller
) as per_key
