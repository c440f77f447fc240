-- What is already stored for one SageMaker resource table: ARN and last-modified (or creation) time
-- per account and region. The newest time is the high-water mark for the next incremental listing;
-- an ARN whose time has not changed is not described again. Identifiers in braces are quoted.
select
    account_id,
    region,
    {arn_column} as arn,
    {modified_column} as modified_at
from raw.{table}
