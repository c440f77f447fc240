{#-
    Instance type of a line item: the product's instance type when the export has it, else parsed
    from the usage type (`USE1-Train:ml.p4d.24xlarge`, `BoxUsage:g5.xlarge`, `SpotUsage:trn1.32xlarge`,
    `HeavyUsage:g5.xlarge`). Any family name works (letters, a generation digit, attributes), so
    families AWS adds later are recognised without a list. Lower-case; null when none is named.
-#}
{% macro instance_type(product_instance_type, usage_type) -%}
    coalesce(
        nullif(lower(trim({{ product_instance_type }})), ''),
        nullif({{ regex_extract(
            'lower(' ~ usage_type ~ ')',
            "'(?:^|[:_])((?:ml\.)?[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.(?:[0-9]*x?large|medium|small|micro|nano|metal(?:-[0-9]+xl)?|[0-9]+xl))'",
            1
        ) }}, '')
    )
{%- endmacro %}

{#- The instance family: `ml.p4d.24xlarge` -> `p4d`, `g5.xlarge` -> `g5`, `trn1n.32xlarge` -> `trn1n`. -#}
{% macro instance_family(instance_type) -%}
    nullif({{ regex_extract(instance_type, "'^(?:ml\.)?([a-z][a-z0-9-]*)\.'", 1) }}, '')
{%- endmacro %}

{#-
    The accelerator of an instance family, parsed from its name: series `p`, `g` and `gr` carry
    NVIDIA/AMD GPUs, `trn` Trainium, `inf` Inferentia; `dl` (Gaudi, Qualcomm), `f` (FPGA), `vt`
    (video) and `eia` (elastic inference) other accelerators; every other family is CPU only.
    The series is the letters before the generation digit, so p6, g7 or trn3 need no change here.
-#}
{% macro accelerator(instance_family) -%}
    case
        when {{ instance_family }} is null then null
        when {{ regex_matches(instance_family, "'^trn[0-9]'") }} then 'trainium'
        when {{ regex_matches(instance_family, "'^inf[0-9]'") }} then 'inferentia'
        when {{ regex_matches(instance_family, "'^(p|g|gr)[0-9]'") }} then 'gpu'
        when {{ regex_matches(instance_family, "'^(dl|f|vt|eia)[0-9]'") }} then 'other_accelerator'
        else 'cpu'
    end
{%- endmacro %}

{#-
    The workload a resource's tags declare (`workload=inference`), from the tag keys in
    var('workload_tag_keys'); tag keys are lower-cased at ingest, so these are plain map probes.
-#}
{% macro workload_tag(tags) -%}
    lower(coalesce(
        {%- for key in var('workload_tag_keys') %}
        nullif(trim({{ map_value(tags, "'" ~ key ~ "'") }}), ''),
        {%- endfor %}
        null
    ))
{%- endmacro %}

{#-
    Cost category of a line item from its product, usage type and line item type.
    Order matters: charges that are not usage first, then generative AI and AI services by product
    code (whatever their usage type), then storage and data transfer before the SageMaker job kind,
    so `Train:VolumeUsage.gp2` is storage and `Train:ml.m5.xlarge` is training. EC2 instances with
    an accelerator are ML compute: the workload their tags declare, else inference for Inferentia,
    else var('ec2_accelerated_category').
-#}
{% macro classify_category(usage_type, charge_type, service_code, service_name, accelerator=none, tags=none) -%}
    case
        when lower(coalesce({{ charge_type }}, '')) in ('tax', 'credit', 'refund', 'rifee', 'fee', 'savingsplanrecurringfee', 'savingsplanupfrontfee', 'purchase', 'adjustment')
            then 'other'
        when lower(coalesce({{ service_code }}, '')) like 'amazonbedrock%'
            then 'genai'
        when {{ regex_replace("lower(coalesce(" ~ service_code ~ ", ''))", "'^(amazon|aws)'", "''") }} in (
            {%- for code in var('ai_service_codes') %}'{{ code | lower }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        )
            then 'ai_services'
        when lower({{ usage_type }}) like '%timedstorage%' or lower({{ usage_type }}) like '%volumeusage%'
            or lower({{ usage_type }}) like '%storage%'
            then 'storage'
        when lower({{ usage_type }}) like '%datatransfer%' or lower({{ usage_type }}) like '%-bytes' or lower({{ usage_type }}) like '%-bytes-%'
            then 'data_transfer'
        when lower({{ usage_type }}) like '%train:%' or lower({{ usage_type }}) like '%trspt%' or lower({{ usage_type }}) like '%training%'
            or lower({{ usage_type }}) like '%hyperpod%' or lower({{ usage_type }}) like '%cluster:%' or lower({{ usage_type }}) like '%clusternode%'
            then 'training'
        when lower({{ usage_type }}) like '%host:%' or lower({{ usage_type }}) like '%asyncinf%' or lower({{ usage_type }}) like '%tsform%'
            or lower({{ usage_type }}) like '%serverlessinf%' or lower({{ usage_type }}) like '%inference%'
            then 'inference'
        when lower({{ usage_type }}) like '%processing%' or lower({{ usage_type }}) like '%prcss%'
            or lower({{ usage_type }}) like '%datawrangler%' or lower({{ usage_type }}) like '%data-wrangler%'
            then 'processing'
        when lower({{ usage_type }}) like '%notebk%' or lower({{ usage_type }}) like '%studio%' or lower({{ usage_type }}) like '%kernelgateway%'
            or lower({{ usage_type }}) like '%jupyterserver%' or lower({{ usage_type }}) like '%jupyterlab%' or lower({{ usage_type }}) like '%codeeditor%'
            or lower({{ usage_type }}) like '%canvas%' or lower({{ usage_type }}) like '%rstudio%'
            or lower({{ service_name }}) like '%studio%'
            then 'notebook'
        {%- if accelerator is not none %}
        when lower(coalesce({{ service_code }}, '')) = 'amazonec2' and {{ accelerator }} is not null and {{ accelerator }} <> 'cpu'
            then case
                {%- if tags is not none %}
                when {{ workload_tag(tags) }} in ('training', 'train') then 'training'
                when {{ workload_tag(tags) }} in ('inference', 'serving') then 'inference'
                when {{ workload_tag(tags) }} in ('notebook', 'development') then 'notebook'
                when {{ workload_tag(tags) }} = 'processing' then 'processing'
                {%- endif %}
                when {{ accelerator }} = 'inferentia' then 'inference'
                else '{{ var("ec2_accelerated_category") }}'
            end
        {%- endif %}
        else 'other'
    end
{%- endmacro %}

{#-
    How a line item was priced, from the CUR line item type (or FOCUS ChargeCategory), the usage
    type (spot training is `TrSpt`, EC2 spot `SpotUsage`), the pricing term (FOCUS `Dynamic` is
    spot) and the commitment discount that covered it.
-#}
{% macro classify_pricing_model(charge_type, usage_type, commitment_discount_id, pricing_term=none) -%}
    case
        when lower(coalesce({{ charge_type }}, '')) in ('credit', 'refund') then 'credit'
        when lower(coalesce({{ charge_type }}, '')) = 'tax' then 'tax'
        when lower(coalesce({{ charge_type }}, '')) in ('savingsplancoveredusage', 'savingsplannegation', 'savingsplanrecurringfee', 'savingsplanupfrontfee')
            then 'savings_plan'
        when lower(coalesce({{ charge_type }}, '')) in ('discountedusage', 'rifee') then 'reserved'
        -- FOCUS: a commitment's recurring or upfront fee is a Purchase naming the commitment.
        when lower(coalesce({{ charge_type }}, '')) = 'purchase' and lower({{ commitment_discount_id }}) like '%savingsplan%'
            then 'savings_plan'
        when lower(coalesce({{ charge_type }}, '')) = 'purchase' and lower({{ commitment_discount_id }}) like '%reserved%'
            then 'reserved'
        when lower(coalesce({{ charge_type }}, '')) in ('fee', 'purchase') then 'fee'
        when lower(coalesce({{ charge_type }}, '')) = 'usage' then
            case
                when lower({{ usage_type }}) like '%trspt%' or lower({{ usage_type }}) like '%spot%' then 'spot'
                {%- if pricing_term is not none %}
                when lower(coalesce({{ pricing_term }}, '')) in ('spot', 'dynamic') then 'spot'
                {%- endif %}
                when lower({{ commitment_discount_id }}) like '%savingsplan%' then 'savings_plan'
                when lower({{ commitment_discount_id }}) like '%reserved%' then 'reserved'
                else 'on_demand'
            end
        else 'other'
    end
{%- endmacro %}

{#-
    The purchase option of a line item (issue 11's vocabulary): the pricing model with `reserved`
    spelled `reservation`, discounts (EDP, private rate, bundled) and adjustments named.
-#}
{% macro purchase_option(pricing_model, charge_type) -%}
    case
        when {{ pricing_model }} = 'reserved' then 'reservation'
        when {{ pricing_model }} = 'other' and lower(coalesce({{ charge_type }}, '')) like '%discount%' then 'discount'
        when {{ pricing_model }} = 'other' and lower(coalesce({{ charge_type }}, '')) = 'adjustment' then 'adjustment'
        else {{ pricing_model }}
    end
{%- endmacro %}
