"""The database layer: models, Alembic migrations, RLS-aware sessions and repositories.

Nothing is created at import: services build their engine with ``shared.db.engine`` at startup,
open tenant transactions with ``shared.db.tenancy`` and migrate with ``shared.db.migrate``.
"""
