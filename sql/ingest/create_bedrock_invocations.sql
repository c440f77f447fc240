-- Amazon Bedrock requests and tokens per hour: one row per hour, source, account, region, model ID
-- (a foundation model, an inference profile, or the ARN of an application inference profile or a
-- provisioned model) and caller, from CloudWatch AWS/Bedrock metrics (source 'cloudwatch', no
-- caller) and model invocation logs (source 'invocation_logs'). The denominator of cost per 1,000
-- tokens; replaced one UTC day at a time. See docs/genai.md.
create table if not exists raw.bedrock_invocations (
    hour_start timestamp not null,
    model_id varchar not null,
    invocations bigint,
    input_tokens bigint,
    output_tokens bigint,
    cache_read_input_tokens bigint,
    cache_write_input_tokens bigint,
    caller varchar,
    source varchar not null,
    account_id varchar,
    region varchar,
    fetched_at timestamp not null
)
