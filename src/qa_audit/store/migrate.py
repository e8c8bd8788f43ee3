"""Create the store's schema, or bring an older store up to this version, in one transaction.

A small versioned migration of our own rather than Alembic: Alembic's environment (alembic.ini,
env.py, a scripts directory) is made for a deployer running `alembic upgrade`; here the tool
migrates the store itself when it opens it, on SQLite and PostgreSQL, and the steps are a few
CREATE TABLE / ADD COLUMN statements that both databases accept as written. `qa_schema` records
every version applied.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy import Connection, inspect, text

from qa_audit.store import schema
from qa_audit.store.errors import StoreError


def _to_v2(conn: Connection) -> None:
    """v2: reviewer verdicts (qa_reviews) and whether a run was interrupted."""
    schema.reviews.create(conn, checkfirst=True)
    columns = {c["name"] for c in inspect(conn).get_columns("qa_runs")}
    if "interrupted" not in columns:
        conn.execute(text("ALTER TABLE qa_runs ADD COLUMN interrupted BOOLEAN"))


# version -> the step that takes a store from version - 1 to it
STEPS: dict[int, Callable[[Connection], None]] = {2: _to_v2}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def stored_version(conn: Connection) -> int | None:
    """Return the schema version of the store, or None when it has no qa-audit tables yet."""
    if not inspect(conn).has_table("qa_schema"):
        return None
    found = conn.execute(text("SELECT MAX(version) FROM qa_schema")).scalar()
    return int(found) if found is not None else None


def ensure_schema(conn: Connection) -> int:
    """Create or migrate the schema on `conn` (the caller commits); return the version before (0 = new)."""
    version = stored_version(conn)
    if version is None:
        if inspect(conn).has_table("qa_conversations"):
            raise StoreError("the database has qa-audit tables but no qa_schema version table")
        schema.metadata.create_all(conn)
        conn.execute(schema.schema_versions.insert(), [{"version": schema.SCHEMA_VERSION, "applied_at": _now()}])
        return 0
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"the store has schema version {version}, newer than this qa-audit knows ({schema.SCHEMA_VERSION}); "
            "upgrade qa-audit"
        )
    for step in range(version + 1, schema.SCHEMA_VERSION + 1):
        STEPS[step](conn)
        conn.execute(schema.schema_versions.insert(), [{"version": step, "applied_at": _now()}])
    return version
