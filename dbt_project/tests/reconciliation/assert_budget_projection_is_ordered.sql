-- A row here is a budget whose projection contradicts itself: the interval does not contain the
-- projection, the projection is below what is already spent, or the data runs past the period.
select *
from {{ ref('budget_projection') }}
where projected_low > projected_cost
    or projected_cost > projected_high
    or projected_cost < actual_cost
    or days_elapsed > days_in_period
    or days_elapsed < 0
