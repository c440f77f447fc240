-- One row per region, price kind (hosting, training, notebook, processing, transform), SageMaker
-- instance type and billing currency: the on-demand hourly rate the recommendations price an
-- instance hour at. The account's own rate from the bill wins (its on-demand lines, and the public
-- on-demand cost of lines a Savings Plan or reservation covered); an instance type the bill has no
-- line of takes the price list seed (AWS public price, with its page and date).
with

costs as (
    select * from {{ ref('cost_attribution') }}
),

price_list as (
    select * from {{ ref('price_list') }}
),

instance_lines as (
    select
        coalesce(resource_region, region) as region,
        {{ sagemaker_price_kind('usage_type') }} as price_kind,
        instance_type,
        billing_currency,
        usage_quantity,
        case when pricing_model = 'on_demand' then effective_cost else list_cost end as on_demand_cost
    from costs
    where
        service_code = 'AmazonSageMaker'
        and instance_type is not null
        -- Covered lines carry their public on-demand cost; their negation lines (list cost 0) not.
        and (pricing_model = 'on_demand' or (pricing_model in ('savings_plan', 'reserved') and list_cost > 0))
),

bill_rates as (
    select
        region,
        price_kind,
        instance_type,
        billing_currency,
        -- A rate, not an amount: DOUBLE (usage_quantity is one).
        sum(on_demand_cost) / sum(usage_quantity) as hourly_rate
    from instance_lines
    where price_kind is not null and on_demand_cost is not null
    group by region, price_kind, instance_type, billing_currency
    having sum(usage_quantity) > 0
),

listed_rates as (
    select
        region,
        price_kind,
        item as instance_type,
        currency as billing_currency,
        cast(price as double) as hourly_rate,
        source_url,
        price_date
    from price_list
    where service_code = 'AmazonSageMaker' and unit = 'Hrs'
),

final as (
    select
        region,
        price_kind,
        instance_type,
        billing_currency,
        hourly_rate,
        'bill' as rate_source,
        instance_type || ' at $' || {{ format_number('hourly_rate', 4) }} || '/h (this bill''s on-demand rate)' as rate_note
    from bill_rates
    union all
    select
        listed_rates.region,
        listed_rates.price_kind,
        listed_rates.instance_type,
        listed_rates.billing_currency,
        listed_rates.hourly_rate,
        'price_list' as rate_source,
        listed_rates.instance_type || ' at $' || {{ format_number('listed_rates.hourly_rate', 4) }}
        || '/h (AWS public price, ' || listed_rates.source_url || ', ' || cast(listed_rates.price_date as {{ dbt.type_string() }}) || ')' as rate_note
    from listed_rates
    where not exists (
        select 1 from bill_rates
        where
            bill_rates.region = listed_rates.region
            and bill_rates.price_kind = listed_rates.price_kind
            and bill_rates.instance_type = listed_rates.instance_type
            and bill_rates.billing_currency = listed_rates.billing_currency
    )
)

select * from final
