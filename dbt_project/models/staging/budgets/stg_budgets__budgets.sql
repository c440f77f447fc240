with

source as (
    select * from {{ source('raw', 'budgets') }}
),

final as (
    select
        budget_name,
        lower(scope) as scope_type,
        -- tag:<key> budgets match on that tag key; every other scope on a column.
        case when lower(scope) like 'tag:%' then lower(substr(scope, 5)) end as tag_key,
        lower(trim(scope_value)) as scope_value,
        coalesce(lower(cost_basis), 'effective') as cost_basis,
        amount as budget_amount,
        -- A budget counts cost in its own currency only (ISO 4217, upper-case; USD unless the file says).
        upper(coalesce(currency, 'USD')) as billing_currency,
        coalesce(actual_thresholds, [80.0, 100.0]) as actual_thresholds,
        coalesce(forecast_thresholds, [100.0]) as forecast_thresholds,
        source_file,
        source_line
    from source
)

select * from final
