"""Background jobs: a registry of job functions by name, records in the database, and a
queue backend (RQ on Redis, or a thread in the server process)."""
