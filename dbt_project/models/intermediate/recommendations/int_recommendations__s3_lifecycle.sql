-- One row per billing period and S3 bucket (account, region, currency) whose Standard storage grew
-- by at least `recommendations_s3_min_growth_pct` over the previous period and never shrank from
-- one period to the next: add a lifecycle rule to Standard-IA for objects older than 30 days
-- (model artifacts and training data are rarely read once written). Savings: last period's stored
-- GB (what is older than a month now) x (this bucket's own Standard rate - the Standard-IA price of
-- the price list). Standard-IA charges retrieval and a 30-day minimum, so confidence is low.
{%- set min_growth = number_var('recommendations_s3_min_growth_pct', 'RECOMMENDATIONS_S3_MIN_GROWTH_PCT') %}
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

periods as (
    select * from {{ ref('int_billing_periods') }}
    where data_through_date >= billing_period
),

price_list as (
    select * from {{ ref('price_list') }}
    where service_code = 'AmazonS3' and price_kind = 'storage' and item = 'StandardIAStorage'
),

buckets as (
    select
        costs.billing_period,
        costs.billing_currency,
        costs.sub_account_id as account_id,
        costs.region,
        costs.resource_id,
        {{ owner_by_cost('model_name', 'costs.effective_cost', 'costs.') }} as model_name,
        {{ owner_by_cost('team', 'costs.effective_cost', 'costs.') }} as team,
        {{ owner_by_cost('project', 'costs.effective_cost', 'costs.') }} as project,
        sum(costs.effective_cost) as current_cost,
        sum(costs.usage_quantity) as gb_months,
        any_value({{ datetime_diff('day', 'periods.billing_period', 'periods.data_through_date') }} + 1) as window_days,
        any_value(periods.days_in_period) as days_in_period
    from costs
    inner join periods
        on costs.billing_period = periods.billing_period and costs.usage_date <= periods.data_through_date
    where
        costs.service_code = 'AmazonS3'
        and lower(costs.usage_type) like '%timedstorage-bytehrs'
        and costs.resource_id is not null
        and costs.usage_quantity > 0
    group by costs.billing_period, costs.billing_currency, costs.sub_account_id, costs.region, costs.resource_id
),

growth as (
    select
        *,
        -- GB-months over the days of data, per month: the mean GB stored.
        gb_months * days_in_period / window_days as stored_gb,
        current_cost / gb_months as standard_rate,
        lag(gb_months * days_in_period / window_days) over bucket as previous_gb,
        lag(billing_period) over bucket as previous_period
    from buckets
    window bucket as (partition by billing_currency, account_id, region, resource_id order by billing_period)
),

never_shrank as (
    select
        *,
        bool_and(previous_gb is null or stored_gb >= previous_gb) over (
            partition by billing_currency, account_id, region, resource_id order by billing_period
        ) as has_only_grown
    from growth
),

final as (
    select
        never_shrank.billing_period,
        never_shrank.billing_currency,
        's3_lifecycle' as recommendation_type,
        never_shrank.account_id,
        never_shrank.region,
        never_shrank.resource_id,
        never_shrank.resource_id as resource_name,
        '' as finding_detail,
        never_shrank.model_name,
        never_shrank.team,
        never_shrank.project,
        'S3 Standard storage grew ' || {{ format_number('100 * (never_shrank.stored_gb / never_shrank.previous_gb - 1)', 1) }}
        || '% to ' || {{ format_number('never_shrank.stored_gb', 0, grouping=true) }} || ' GB (threshold {{ min_growth }}%) and never shrank' as evidence,
        never_shrank.current_cost,
        {{ monthly_amount('never_shrank.current_cost', 'never_shrank.window_days', 'never_shrank.days_in_period') }} as current_monthly_cost,
        cast(
            never_shrank.previous_gb * greatest(0, never_shrank.standard_rate - cast(price_list.price as double))
            as decimal(38, 10)
        ) as estimated_monthly_savings,
        'bill: this bucket''s Standard rate $' || {{ format_number('never_shrank.standard_rate', 4) }}
        || '/GB-month; price_list: Standard-IA $' || {{ format_number('cast(price_list.price as double)', 4) }}
        || '/GB-month (' || price_list.source_url || ', ' || cast(price_list.price_date as {{ dbt.type_string() }}) || ')' as savings_basis,
        'low' as confidence,
        'Add a lifecycle rule to bucket ' || never_shrank.resource_id
        || ': objects older than 30 days to S3 Standard-IA (or Intelligent-Tiering).' as action
    from never_shrank
    inner join price_list
        on never_shrank.region = price_list.region and never_shrank.billing_currency = price_list.currency
    where
        never_shrank.has_only_grown
        and never_shrank.previous_gb > 0
        and never_shrank.previous_period = never_shrank.billing_period - interval '1' month
        and 100 * (never_shrank.stored_gb / never_shrank.previous_gb - 1) >= {{ min_growth }}
)

select * from final
