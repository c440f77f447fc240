{#-
    Amazon Bedrock line items and CloudWatch model IDs, parsed (docs/genai.md). Usage types are
    matched against the patterns in seeds/bedrock_usage_types.csv (set-based, first match by
    priority); the macros below read what a pattern cannot: the usage type's body, the service
    tier and routing, the pricing unit, the model named by an ARN or ID, and the caller.
-#}

{#-
    The usage type without its region prefix (`USE1-`, `USW2-`, `EUC1-`) and, for models sold through
    AWS Marketplace (product AmazonBedrockFoundationModels), without `MP:<region>_`:
    `USW2-MP:USW2_InputTokenCount-Units` -> `InputTokenCount-Units`.
-#}
{% macro bedrock_usage_type_body(usage_type) -%}
    {{ regex_replace(regex_replace("coalesce(" ~ usage_type ~ ", '')", "'^[A-Z]{2,4}[0-9]{0,2}-'", "''"), "'^MP:[A-Z0-9]+_'", "''") }}
{%- endmacro %}

{#- How a request was served, from the usage type: batch, flex, priority, latency_optimized or standard. -#}
{% macro bedrock_service_tier(usage_type) -%}
    case
        when {{ regex_matches(usage_type, "'(?i)(^|[-_:])(million)?batch([-_]|$)|[a-z]batch(input|output|cache)'") }} then 'batch'
        when {{ regex_matches(usage_type, "'(?i)[-_]flex([-_]|$)'") }} then 'flex'
        when {{ regex_matches(usage_type, "'(?i)[-_]priority([-_]|$)'") }} then 'priority'
        when {{ regex_matches(usage_type, "'(?i)latency-?optimized'") }} then 'latency_optimized'
        else 'standard'
    end
{%- endmacro %}

{#- Cross-region inference: `global` (`-cross-region-global`, `_Global`), `geo`, else `in_region`. -#}
{% macro bedrock_routing(usage_type) -%}
    case
        when {{ regex_matches(usage_type, "'(?i)cross-region-global|[-_]global([-_]|$)'") }} then 'global'
        when {{ regex_matches(usage_type, "'(?i)cross-region-geo|[-_]geo([-_]|$)'") }} then 'geo'
        else 'in_region'
    end
{%- endmacro %}

{#-
    Tokens in one pricing unit: `1K tokens` -> 1000, `1M tokens` / `Million tokens` -> 1000000,
    `tokens` -> 1; Marketplace's `...MillionBatchInputTokens-Units` priced in `Units` -> 1000000.
    NULL for units that are not tokens (hours, images, text units): those lines have no token count.
-#}
{% macro bedrock_tokens_per_unit(pricing_unit, usage_type) -%}
    case
        when {{ regex_matches(pricing_unit, "'(?i)^\s*1?\s*million\s+tokens?\s*$'") }} then 1000000
        when {{ regex_matches(pricing_unit, "'(?i)^\s*1?\s*thousand\s+tokens?\s*$'") }} then 1000
        when {{ regex_matches(pricing_unit, "'(?i)^\s*[0-9]*\s*[km]?\s*tokens?\s*$'") }} then
            cast(coalesce(nullif({{ regex_extract(pricing_unit, "'^\s*([0-9]+)'", 1) }}, ''), '1') as bigint)
            * case lower({{ regex_extract(pricing_unit, "'(?i)([km])\s*tokens?\s*$'", 1) }}) when 'k' then 1000 when 'm' then 1000000 else 1 end
        when {{ regex_matches(pricing_unit, "'(?i)^\s*units?\s*$'") }} and {{ regex_matches(usage_type, "'(?i)million[a-z]*tokens?'") }} then 1000000
    end
{%- endmacro %}

{#-
    What a Bedrock ARN or ID names: foundation_model, inference_profile (system-defined, cross-region),
    application_inference_profile, provisioned_model, custom_model, imported_model, or NULL.
-#}
{% macro bedrock_resource_kind(resource_id) -%}
    case
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:foundation-model/%' then 'foundation_model'
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:application-inference-profile/%' then 'application_inference_profile'
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:inference-profile/%' then 'inference_profile'
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:provisioned-model/%' then 'provisioned_model'
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:custom-model/%' then 'custom_model'
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:imported-model/%' then 'imported_model'
    end
{%- endmacro %}

{#- The ID at the end of an application inference profile's ARN (`.../application-inference-profile/x7k2m9p4q1ab`). -#}
{% macro bedrock_inference_profile_id(resource_id) -%}
    nullif({{ regex_extract(resource_id, "'(?i):application-inference-profile/([^/]+)$'", 1) }}, '')
{%- endmacro %}

{#-
    One name per model, whichever way the bill or CloudWatch spells it, so that cost and tokens
    meet: `Claude4.6Sonnet` (usage type), `Claude Sonnet 4.6 (Amazon Bedrock Edition)` (Marketplace
    product), `us.anthropic.claude-sonnet-4-6-v1:0` (model or inference profile ID) and
    `arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6` all give
    `claude-sonnet-4-6`. In two steps, each a column of its own CTE (one nested expression would be
    too deep to read, for people and for the linter):

    bedrock_model_words: the identifier without the ARN, the routing prefix (`us.`), the provider
    (`anthropic.`), the version (`-v1:0`), dates (`20240307`, `2402`) and `.0`, split into lower-case
    words at camel case, letter-digit boundaries and punctuation; `instruct`, `chat`, `amazon`,
    `bedrock` and `edition` dropped.

    bedrock_model_name: the first word, the other words sorted (repeats dropped:
    `mistral.mistral-large`), then the numbers in their order (kept: Llama 3.3 is `3-3`):
    `llama-3-1-70b`, `claude-haiku-3-5`, `nova-lite`. Model versions are not told apart. Spellings
    this does not bring together are mapped in seeds/bedrock_model_aliases.csv.
-#}
{% macro bedrock_model_words(identifier) -%}
    {#- Each line: a pattern, a tab, its replacement (groups as $1); applied in order, every match. -#}
    {%- set steps -%}
(?i)\s*\(amazon bedrock edition\)\s*$	
^arn:[^/]*/	
(?i)^(?:us|eu|apac|global|us-gov|ca|jp|au)\.	
(?i)^[a-z0-9-]+\.([a-z]{3,})	$1
(?i)-v[0-9]+(?::[0-9]+)?$|:[0-9]+$	
(^|[-_ ])(?:[0-9]{8}|2[3-9](?:0[1-9]|1[0-2]))($|[-_ ])	$1$2
([0-9])\.0([^0-9]|$)	$1$2
([a-z])([A-Z])	$1-$2
([A-Za-z])([0-9])	$1-$2
([0-9])([A-Za-z]{2,})	$1-$2
    {%- endset -%}
    {%- set cleaned = namespace(sql='trim(' ~ identifier ~ ')') -%}
    {%- for step in steps.strip().split('\n') -%}
        {%- set parts = step.split('\t') -%}
        {%- set cleaned.sql = regex_replace(cleaned.sql, "'" ~ parts[0] ~ "'", "'" ~ parts[1] ~ "'") -%}
    {%- endfor -%}
    {{ array_filter(
        regex_split('lower(' ~ cleaned.sql ~ ')', "'[^a-z0-9]+'"),
        't', "t <> '' and t not in ('instruct', 'chat', 'amazon', 'bedrock', 'edition')"
    ) }}
{%- endmacro %}

{% macro bedrock_model_name(words) -%}
    {%- set first_word = array_first(array_filter(words, 'u', regex_matches('u', "'^[a-z]'"))) -%}
    nullif({{ array_join(
        'concat('
        ~ array_head(array_filter(words, 't', regex_matches('t', "'^[a-z]'")), 1) ~ ', '
        ~ 'array_sort(array_distinct(' ~ array_filter(words, 't', regex_matches('t', "'^[a-z]'") ~ ' and t <> ' ~ first_word) ~ ')), '
        ~ array_filter(words, 't', regex_matches('t', "'^[0-9]'"))
        ~ ')',
        "'-'"
    ) }}, '')
{%- endmacro %}

{#-
    The model ID an ARN or ID names directly: a foundation model's or a system-defined inference
    profile's (`us.anthropic.claude-3-5-sonnet-20241022-v2:0`); NULL for the ARNs of application
    inference profiles, provisioned and custom models, whose model the bill's usage type names.
-#}
{% macro bedrock_named_model_id(resource_id) -%}
    case
        when lower({{ resource_id }}) like 'arn:aws%:bedrock:%:foundation-model/%'
            or (lower({{ resource_id }}) like 'arn:aws%:bedrock:%:inference-profile/%'
                and lower({{ resource_id }}) not like '%:application-inference-profile/%')
            then {{ regex_extract(resource_id, "'/([^/]+)$'", 1) }}
        when lower({{ resource_id }}) not like 'arn:%' and {{ resource_id }} like '%.%' then {{ resource_id }}
    end
{%- endmacro %}

{#-
    Who called, as far as var('bedrock_principal_identifiers') allows (BEDROCK_PRINCIPAL_IDENTIFIERS):
    IAM user names, federated users and role session names (often e-mail addresses) are personal
    data. `hash` (default) replaces them with `h-` and 16 hex digits of SHA-256 over the warehouse's
    own random salt and the name (stable within one warehouse, not reversible by hashing guessed
    names without the salt); `drop` replaces them with `*`; `keep` keeps the ARN as the bill has it.
    Role ARNs and the account root name workloads, not people, and are kept in every mode; the role
    of an assumed-role session too. Anything else that is not an ARN is hashed or dropped whole.
-#}
{% macro bedrock_caller(principal, salt) -%}
    {%- set mode = var('bedrock_principal_identifiers') | string | trim | lower -%}
    {%- if mode not in ['hash', 'drop', 'keep'] -%}
        {{ exceptions.raise_compiler_error("BEDROCK_PRINCIPAL_IDENTIFIERS must be hash, drop or keep, not '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- if mode == 'keep' -%}
        nullif(trim({{ principal }}), '')
    {%- else -%}
        {%- set personal = "'h-' || substr(" ~ sha256_hex(salt ~ " || ':' || {}") ~ ", 1, 16)" if mode == 'hash' else "'*'" -%}
    case
        when nullif(trim({{ principal }}), '') is null then null
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:iam::[0-9]*:(role/.+|root)$'") }} then {{ principal }}
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:sts::[0-9]*:assumed-role/[^/]+/.+$'") }}
            then {{ regex_extract(principal, "'^(arn:aws[a-z-]*:sts::[0-9]*:assumed-role/[^/]+/)'", 1) }}
                || {{ personal.replace('{}', regex_extract(principal, "'^arn:aws[a-z-]*:sts::[0-9]*:assumed-role/[^/]+/(.+)$'", 1)) }}
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:(iam|sts)::[0-9]*:(user|federated-user)/.+$'") }}
            then {{ regex_extract(principal, "'^(arn:aws[a-z-]*:(?:iam|sts)::[0-9]*:(?:user|federated-user)/)'", 1) }}
                || {{ personal.replace('{}', regex_extract(principal, "'^arn:aws[a-z-]*:(?:iam|sts)::[0-9]*:(?:user|federated-user)/(.+)$'", 1)) }}
        else {{ personal.replace('{}', principal) }}
    end
    {%- endif -%}
{%- endmacro %}

{#- The kind of caller (not personal): user, assumed_role, role, federated_user, root or other. -#}
{% macro bedrock_caller_type(principal) -%}
    case
        when nullif(trim({{ principal }}), '') is null then null
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:sts::[0-9]*:assumed-role/'") }} then 'assumed_role'
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:iam::[0-9]*:role/'") }} then 'role'
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:iam::[0-9]*:user/'") }} then 'user'
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:sts::[0-9]*:federated-user/'") }} then 'federated_user'
        when {{ regex_matches(principal, "'^arn:aws[a-z-]*:iam::[0-9]*:root$'") }} then 'root'
        else 'other'
    end
{%- endmacro %}
