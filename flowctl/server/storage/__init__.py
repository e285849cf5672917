"""Where the runtime keeps revisions, conversations and their events: SQLite or PostgreSQL
behind one interface (:class:`Storage`), with the same queries (:mod:`.sql`) and migrations.

``open_storage(url)``: ``sqlite:///path/to/file.db`` (relative to the working directory;
``sqlite:///:memory:`` for tests) or ``postgresql://user@host:port/db``.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from flowctl.server.storage.sql import Dialect, Tx


class StorageError(Exception):
    """The database cannot be used (bad URL, unreachable, newer schema than this server)."""


class Storage(Protocol):
    dialect: Dialect
    describe: str  # the URL without any password, for logs

    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...
    def read(self) -> AbstractAsyncContextManager[Tx]: ...
    async def migrate(self) -> list[int]: ...
    async def schema_version(self) -> int: ...
    async def close(self) -> None: ...


async def open_storage(url: str, *, durability: str = "full") -> Storage:
    """Connect to the database ``url`` names (migrations are not run: call ``migrate``)."""
    if url.startswith("sqlite:///"):
        from flowctl.server.storage.sqlite import SqliteStorage

        return SqliteStorage(url[len("sqlite:///"):] or ":memory:", durability=durability)
    if url.startswith(("postgresql://", "postgres://")):
        from flowctl.server.storage.postgres import PostgresStorage

        storage = PostgresStorage(url)
        try:
            await storage.open()
        except Exception as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise StorageError(f"cannot connect to {storage.describe}: {first}") from None
        return storage
    raise StorageError(f"unknown database URL {url!r}: use sqlite:///PATH or postgresql://...")


__all__ = ["Storage", "StorageError", "Tx", "open_storage"]
