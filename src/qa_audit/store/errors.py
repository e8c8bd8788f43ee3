"""The store's one error type, importable without loading SQLAlchemy."""


class StoreError(Exception):
    """The store cannot be opened, migrated, read or written (the message names the store)."""
