-- The recommendations that would save the most per month, for the report's list. Every column the
-- mart has is read: the report shows the ones it knows and ignores the rest.
select *
from marts.recommendations
order by estimated_monthly_savings desc nulls last
limit $top_n
