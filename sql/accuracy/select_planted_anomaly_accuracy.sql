-- Recall and precision of marts.cost_anomalies against the spikes `mlcost demo-data --anomalies`
-- planted ($truth: their ground truth file): the figures benchmarks/bench_anomalies.py reports.
-- A spike is found when an increase is flagged on its day for a model, service or account its
-- spend lands in (as the marts attribute it); a flagged increase is right when a spike's spend
-- lands in its scope that day (the total included).
with

spikes as (
    select
        cast(usage_date as date) as usage_date,
        kind,
        resource_id,
        extra_cost
    from read_json($truth)
),

spike_scopes as (
    select distinct
        spikes.usage_date,
        spikes.resource_id,
        scopes.scope_type,
        scopes.scope_value
    from spikes
    inner join marts.cost_attribution as costs
        on
            spikes.usage_date = costs.usage_date
            and spikes.resource_id = costs.resource_id
    cross join lateral (
        values
        ('model', costs.model_name),
        ('service', costs.service_name),
        ('account', coalesce(costs.sub_account_id, costs.billing_account_id, 'unknown')),
        ('total', 'total')
    ) as scopes (scope_type, scope_value)
),

increases as (
    select
        usage_date,
        scope_type,
        scope_value
    from marts.cost_anomalies
    where direction = 'increase'
),

flagged as (
    select
        increases.*,
        exists(
            select 1
            from spike_scopes
            where
                increases.usage_date = spike_scopes.usage_date
                and increases.scope_type = spike_scopes.scope_type
                and increases.scope_value = spike_scopes.scope_value
        ) as is_planted
    from increases
),

found as (
    select
        spikes.*,
        exists(
            select 1
            from spike_scopes
            inner join increases
                on
                    spike_scopes.usage_date = increases.usage_date
                    and spike_scopes.scope_type = increases.scope_type
                    and spike_scopes.scope_value = increases.scope_value
            where
                spikes.usage_date = spike_scopes.usage_date
                and spikes.resource_id = spike_scopes.resource_id
                and spike_scopes.scope_type <> 'total'
        ) as is_found
    from spikes
)

select
    (select count(*) from found) as planted,
    (
        select count(*) from found
        where is_found
    ) as found,
    (select count(*) from flagged) as flagged,
    (
        select count(*) from flagged
        where is_planted
    ) as flagged_planted,
    (
        select string_agg(kind || ' ' || strftime(usage_date, '%Y-%m-%d'), ', ' order by usage_date) from found
        where not is_found)
        as missed,
    (
        select string_agg(scope_type || ':' || scope_value || ' ' || strftime(usage_date, '%Y-%m-%d'), ', ' order by usage_date)
        from flagged
        where not is_planted
    ) as unplanted
