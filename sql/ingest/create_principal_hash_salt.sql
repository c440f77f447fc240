-- A random salt made once per warehouse, with which the marts pseudonymise callers (IAM user and
-- session names, docs/genai.md): a hash without it could be reversed by hashing guessed names. It
-- stays out of the published copy (schema marts only); the lake (MLCOST_LAKE_URI) gets it with the raw
-- bill, so that Spark pseudonymises as DuckDB does (docs/engines.md#the-lake). A new warehouse gets a
-- new salt, and so new pseudonyms.
create table if not exists raw.principal_hash_salt as
select cast(uuid() as varchar) || '-' || cast(uuid() as varchar) as salt
