-- Column names and types of one prediction log file, to find its timestamp, model, endpoint,
-- variant and count columns. {reader} is read_csv, read_parquet or read_json.
describe select * from {reader}($path)
