-- Column names and types of one prediction log file, to find its timestamp, model, endpoint,
-- variant and count columns. {reader} is read_csv, read_parquet or read_json.
-- DESCRIBE is valid DuckDB that the linter's DuckDB dialect cannot parse, hence the noqa.
describe select * from {reader}($path)  -- noqa: PRS
