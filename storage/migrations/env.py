"""Alembic environment: migrations run programmatically through `storage.db.migrate(engine)`.

The caller passes its open connection in `config.attributes["connection"]`, already inside the
transaction (and lock) that the migration runs in.
"""

from __future__ import annotations

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.db.migrate(engine), not the alembic command")

# Batch mode lets later migrations alter tables on SQLite, which has only a limited ALTER TABLE.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
