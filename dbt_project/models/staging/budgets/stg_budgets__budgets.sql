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
        -- Never null: the budgets ingest fills in the default thresholds (pipelines/lib/budgets.py,
        -- their one place).
        actual_thresholds,
        forecast_thresholds,
        source_file,
        source_line
    from source
)

select * from final
