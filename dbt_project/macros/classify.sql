{#-
    Cost category of a line item from its usage type, line item type and product.
    Order matters: storage and data transfer are recognised before the SageMaker job kind, so
    `Train:VolumeUsage.gp2` is storage and `Train:ml.m5.xlarge` is training.
-#}
{% macro classify_category(usage_type, charge_type, service_code, service_name) -%}
    case
        when lower(coalesce({{ charge_type }}, '')) in ('tax', 'credit', 'refund', 'rifee', 'fee', 'savingsplanrecurringfee', 'savingsplanupfrontfee', 'purchase', 'adjustment')
            then 'other'
        when {{ usage_type }} ilike '%TimedStorage%' or {{ usage_type }} ilike '%VolumeUsage%'
            or {{ usage_type }} ilike '%Storage%'
            then 'storage'
        when {{ usage_type }} ilike '%DataTransfer%' or {{ usage_type }} ilike '%-Bytes' or {{ usage_type }} ilike '%-Bytes-%'
            then 'data_transfer'
        when {{ usage_type }} ilike '%Train:%' or {{ usage_type }} ilike '%TrSpt%' or {{ usage_type }} ilike '%Training%'
            then 'training'
        when {{ usage_type }} ilike '%Host:%' or {{ usage_type }} ilike '%AsyncInf%' or {{ usage_type }} ilike '%Tsform%'
            or {{ usage_type }} ilike '%ServerlessInf%' or {{ usage_type }} ilike '%Inference%'
            then 'inference'
        when {{ usage_type }} ilike '%Processing%' or {{ usage_type }} ilike '%Prcss%'
            then 'processing'
        when {{ usage_type }} ilike '%Notebk%' or {{ usage_type }} ilike '%Studio%' or {{ usage_type }} ilike '%KernelGateway%'
            or {{ usage_type }} ilike '%JupyterServer%' or {{ usage_type }} ilike '%JupyterLab%' or {{ usage_type }} ilike '%CodeEditor%'
            or {{ service_name }} ilike '%Studio%'
            then 'notebook'
        else 'other'
    end
{%- endmacro %}

{#-
    How a line item was priced, from the CUR line item type (or FOCUS ChargeCategory), the usage
    type (spot training is `TrSpt`) and the commitment discount that covered it.
-#}
{% macro classify_pricing_model(charge_type, usage_type, commitment_discount_id) -%}
    case
        when lower(coalesce({{ charge_type }}, '')) in ('credit', 'refund') then 'credit'
        when lower(coalesce({{ charge_type }}, '')) = 'tax' then 'tax'
        when lower(coalesce({{ charge_type }}, '')) in ('savingsplancoveredusage', 'savingsplannegation', 'savingsplanrecurringfee', 'savingsplanupfrontfee')
            then 'savings_plan'
        when lower(coalesce({{ charge_type }}, '')) in ('discountedusage', 'rifee') then 'reserved'
        -- FOCUS: a commitment's recurring or upfront fee is a Purchase naming the commitment.
        when lower(coalesce({{ charge_type }}, '')) = 'purchase' and {{ commitment_discount_id }} ilike '%savingsplan%'
            then 'savings_plan'
        when lower(coalesce({{ charge_type }}, '')) = 'purchase' and {{ commitment_discount_id }} ilike '%reserved%'
            then 'reserved'
        when lower(coalesce({{ charge_type }}, '')) in ('fee', 'purchase') then 'fee'
        when lower(coalesce({{ charge_type }}, '')) = 'usage' then
            case
                when {{ usage_type }} ilike '%TrSpt%' or {{ usage_type }} ilike '%Spot%' then 'spot'
                when {{ commitment_discount_id }} ilike '%savingsplan%' then 'savings_plan'
                when {{ commitment_discount_id }} ilike '%reserved%' then 'reserved'
                else 'on_demand'
            end
        else 'other'
    end
{%- endmacro %}
