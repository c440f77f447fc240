-- Accounts whose line items in one period still come from more than one export after de-duplication
-- (e.g. a CUR 2.0 and a FOCUS export of the same bill side by side): their cost would count twice.
select
    line_items.billing_account_id,
    list(distinct billing_files.export_name order by billing_files.export_name) as exports
from raw.billing_line_items as line_items
inner join billing_files on line_items.source_file = billing_files.source_file
where line_items.billing_period = $billing_period
group by line_items.billing_account_id
having count(distinct billing_files.export_name) > 1
order by line_items.billing_account_id
