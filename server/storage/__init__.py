"""Storage: the async engine, shared column types, table models and Alembic migrations."""
