"""The database layer every store stands on: the engine (engine), every table (tables), the schema
migrations (migrations), encryption and keyed hashes (crypto), personal numbers found, masked and
sealed (pii), hashed session identities (sessions), and key rotation and purge for every table
(retention)."""
