-- A row here is a budget whose projection contradicts itself: the interval does not contain the
-- projection, the projection is below what is already spent, or the data runs past the period.
--
-- Compared exactly, with no tolerance: every amount in budget_projection is DECIMAL(38, 10) and
-- computed in DECIMAL. The run rate (the one division) is the mean of the recent days divided
-- exactly and truncated at the 10th decimal (macro divide_money), so it lies between the lowest
-- and highest day, which are on the same 10-decimal grid; each projection is then complete days
-- + a daily figure x days remaining, and the order follows. (When avg() gave a DOUBLE, a
-- 2,000,000-line month failed here on a difference in the 10th decimal.)
select *
from {{ ref('budget_projection') }}
where projected_low > projected_cost
    or projected_cost > projected_high
    or projected_cost < actual_cost
    or days_elapsed > days_in_period
    or days_elapsed < 0
