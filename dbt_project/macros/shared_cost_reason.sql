{#-
    Why a line without an owner is shared cost (marts.cost_allocated.shared_cost_reason): tax,
    credits and discounts, unused commitments (Savings Plan and reservation fees, commitment
    purchases), support and other fees; everything else is `untagged_usage`. Owner rules by account
    (OWNERS_FILE) own untagged usage only: the other reasons stay shared cost in the direct view.
-#}
{% macro shared_cost_reason(purchase_option, charge_type, commitment_discount_id, service_code) -%}
    case
        when {{ purchase_option }} = 'tax' then 'tax'
        when {{ purchase_option }} in ('credit', 'discount') then 'credit'
        when {{ charge_type }} in ('SavingsPlanRecurringFee', 'RIFee') then 'unused_commitment'
        when {{ charge_type }} = 'Purchase' and {{ commitment_discount_id }} is not null then 'unused_commitment'
        when {{ purchase_option }} in ('fee', 'adjustment') or lower({{ service_code }}) like '%support%' then 'support_and_fees'
        else 'untagged_usage'
    end
{%- endmacro %}
