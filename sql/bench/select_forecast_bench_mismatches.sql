-- Cases whose SQL forecast is not the cost known plus its remaining usage forecast: the benchmark
-- adds statsforecast's remaining usage to the same known cost, which holds only if this is empty.
select
    case_id,
    forecast_cost,
    known_cost + usage_forecast_remaining_cost as recomputed_cost
from bench_cases
where forecast_cost <> known_cost + usage_forecast_remaining_cost
