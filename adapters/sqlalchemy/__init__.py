"""Storage on SQLAlchemy Core: SQLite (aiosqlite) embedded, PostgreSQL (asyncpg) in production."""
