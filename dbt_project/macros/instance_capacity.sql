{#-
    How many vCPUs and GPUs a SageMaker instance type (ml.<family>.<size>) has, to turn CloudWatch's
    CPUUtilization (0 to 100 x vCPUs) and GPUUtilization (0 to 100 x GPUs) into a fraction of the
    instance. vCPUs follow the size (large 2, xlarge 4, Nxlarge 4N); GPUs follow the family and
    size for the GPU families AWS publishes, 0 for families without GPUs, NULL when a p or g family
    or size is not known here (the CPU metric is used then).
-#}
{% macro instance_vcpus(instance_type) -%}
    case
        when split_part(lower({{ instance_type }}), '.', 3) in ('medium', 'large') then 2
        when split_part(lower({{ instance_type }}), '.', 3) = 'xlarge' then 4
        when {{ regex_matches("split_part(lower(" ~ instance_type ~ "), '.', 3)", "'^[0-9]+xlarge$'") }}
            then 4 * cast({{ regex_extract("split_part(lower(" ~ instance_type ~ "), '.', 3)", "'^([0-9]+)'", 1) }} as integer)
    end
{%- endmacro %}

{% macro instance_gpus(instance_type) -%}
    case
        when split_part(lower({{ instance_type }}), '.', 2) in ('p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p3dn') then 8
        when split_part(lower({{ instance_type }}), '.', 2) = 'p3' then
            case split_part(lower({{ instance_type }}), '.', 3) when '2xlarge' then 1 when '8xlarge' then 4 when '16xlarge' then 8 end
        when split_part(lower({{ instance_type }}), '.', 2) = 'g4dn' then
            case split_part(lower({{ instance_type }}), '.', 3) when '12xlarge' then 4 when 'metal' then 8 else 1 end
        when split_part(lower({{ instance_type }}), '.', 2) in ('g5', 'g6', 'g6e') then
            case split_part(lower({{ instance_type }}), '.', 3) when '12xlarge' then 4 when '24xlarge' then 4 when '48xlarge' then 8 else 1 end
        when {{ regex_matches("split_part(lower(" ~ instance_type ~ "), '.', 2)", "'^[pg][0-9]'") }} then null
        else 0
    end
{%- endmacro %}
