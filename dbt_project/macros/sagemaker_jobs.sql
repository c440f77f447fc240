{#-
    The parts the SageMaker job staging models (training, processing and transform jobs) share.
    The job fetcher re-reads jobs it has seen, so a raw job table holds several fetches of a job;
    the latest fetch describes it. Names and ARNs are lower-cased to join with the bill, and the
    account and region come from the ARN when the API response left them out.
-#}
{% macro sagemaker_job_latest_fetch(job_kind) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by lower({{ job_kind }}_job_arn) order by fetched_at desc nulls last) as fetch_rank
        from {{ source('raw', 'sagemaker_' ~ job_kind ~ '_jobs') }}
    ) as fetches
    where fetch_rank = 1
{%- endmacro %}

{#- Name, ARN, account and region of a job from the latest fetch. -#}
{% macro sagemaker_job_identity(job_kind) -%}
    lower({{ job_kind }}_job_name) as {{ job_kind }}_job_name,
    lower({{ job_kind }}_job_arn) as {{ job_kind }}_job_arn,
    coalesce(account_id, {{ arn_account_id(job_kind ~ '_job_arn') }}) as account_id,
    coalesce(region, {{ arn_region(job_kind ~ '_job_arn') }}) as region
{%- endmacro %}

{#- When a job ran and on what. -#}
{% macro sagemaker_job_run() -%}
    status,
    created_at,
    started_at,
    ended_at,
    instance_type,
    instance_count
{%- endmacro %}

{#-
    A SageMaker job's cost on the bill, per job (its ARN's name, account and region) and billing
    currency, from marts.cost_attribution (`costs`): billed and amortized cost, the last day billed,
    and the attribution the bill got (line tags first), which wins over the job's own tags.
-#}
{% macro billed_sagemaker_jobs(job_kind) -%}
    select
        sagemaker_resource_name as {{ job_kind }}_job_name,
        resource_account_id as account_id,
        resource_region as region,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        max(usage_date) as last_billed_date,
        max_by(nullif(model_name, 'unattributed'), effective_cost) as model_name,
        max_by(nullif(team, 'unattributed'), effective_cost) as team,
        max_by(nullif(project, 'unattributed'), effective_cost) as project,
        max_by(nullif(environment, 'unattributed'), effective_cost) as environment
    from costs
    where sagemaker_resource_type = '{{ job_kind }}-job'
    group by sagemaker_resource_name, resource_account_id, resource_region, billing_currency
{%- endmacro %}
