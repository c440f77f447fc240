{#-
    TRUE for a month-level charge: a line that bills the month as a whole rather than a day's usage.
    Fees, tax, credits, refunds, commitment (RI, Savings Plan) and subscription fees, and any line
    whose charge period is missing or spans more than a day. These are dated to the period's first
    day (or arrive late) and must never be extrapolated as if they recurred daily: the forecast
    takes them from the month itself once they have arrived, else from the month before, and the
    anomaly detector leaves them out.
-#}
{% macro is_month_level_charge(charge_type, charge_period_start_at, charge_period_end_at) -%}
    (
        lower(coalesce({{ charge_type }}, '')) in (
            'tax', 'credit', 'refund', 'fee', 'rifee', 'savingsplanrecurringfee', 'savingsplanupfrontfee',
            'purchase', 'adjustment', 'subscription'
        )
        or {{ charge_period_start_at }} is null
        or {{ charge_period_end_at }} is null
        or {{ charge_period_end_at }} - {{ charge_period_start_at }} > interval '1' day
    )
{%- endmacro %}
