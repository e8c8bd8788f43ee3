"""Open a results store from what the user typed: a path, `sqlite:///…` or `postgresql://…`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from qa_audit.store.errors import StoreError
from qa_audit.store.migrate import ensure_schema

ENV_VAR = "QA_AUDIT_STORE"


def store_url(text: str) -> URL:
    """Return the SQLAlchemy URL for a store given as a path, `sqlite:///…` or `postgresql://…`."""
    text = text.strip()
    if not text:
        raise StoreError("empty store address")
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        if not path.parent.is_dir():
            raise StoreError(f"store {text}: directory {path.parent} does not exist")
        return URL.create("sqlite", database=str(path))
    try:
        url = make_url(text)
    except ArgumentError as exc:
        raise StoreError(f"store {text!r}: not a database URL ({exc})") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url
    if backend in ("postgresql", "postgres"):
        # psycopg 3 (the `postgres` extra) unless the URL names another driver
        return url.set(drivername="postgresql+psycopg") if "+" not in url.drivername else url
    raise StoreError(f"store {url.render_as_string(hide_password=True)}: use a file path, sqlite:/// or postgresql://")


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (DDL included).

    The sqlite3 module would commit silently before DDL; with this, everything between BEGIN and
    COMMIT is one transaction and a killed process leaves the file as before.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")


class Store:
    """An open results store: an engine on a database whose schema is at this qa-audit's version."""

    def __init__(self, address: str) -> None:
        """Connect, then create or migrate the schema. Raises StoreError with the reason."""
        url = store_url(address)
        self.name = url.render_as_string(hide_password=True)
        try:
            if url.get_backend_name() == "sqlite":
                self.engine = create_engine(url, connect_args={"timeout": 60})
                _sqlite_transactions(self.engine)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
        except ImportError as exc:
            raise StoreError(f"store {self.name}: driver missing ({exc}); pip install 'qa-audit[postgres]'") from None
        try:
            with self.engine.begin() as conn:
                self.migrated_from = ensure_schema(conn)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreError(f"store {self.name}: {short_error(exc)}") from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """Yield a connection for queries; SQLAlchemy errors become StoreError."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.name}: {short_error(exc)}") from None

    @contextlib.contextmanager
    def writing(self) -> Iterator[Connection]:
        """Yield a connection in a transaction committed when the block succeeds."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"store {self.name}: {short_error(exc)}") from None

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def short_error(exc: SQLAlchemyError) -> str:
    """The driver's message without SQLAlchemy's statement dump and background link."""
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]
