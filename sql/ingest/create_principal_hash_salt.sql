-- A random salt made once per warehouse, with which the marts pseudonymise callers (IAM user and
-- session names, docs/genai.md): a hash without it could be reversed by hashing guessed names. It
-- never leaves the warehouse (the published copy holds schema marts only); a new warehouse gets a
-- new salt, and so new pseudonyms.
create table if not exists raw.principal_hash_salt as
select cast(uuid() as varchar) || '-' || cast(uuid() as varchar) as salt
