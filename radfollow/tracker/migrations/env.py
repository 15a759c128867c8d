"""Alembic environment: the engine comes from radfollow.tracker.db (no alembic.ini).

SQLite migrations run in batch mode (a changed table is copied to a new one,
the old dropped); foreign keys are off meanwhile, as Alembic's batch
documentation asks, or dropping a table that other rows reference fails. The
copy keeps every id, so the references hold afterwards.
"""

from __future__ import annotations

from alembic import context

from radfollow.tracker.schema import Base

engine = context.config.attributes["engine"]
sqlite = engine.dialect.name == "sqlite"
with engine.connect() as connection:
    if sqlite:  # outside a transaction: SQLite ignores this pragma inside one
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    with connection.begin():
        context.configure(
            connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite
        )
        context.run_migrations()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
