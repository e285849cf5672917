"""PostgreSQL storage: several server processes on one database form one runtime.

psycopg 3 with a connection pool.  A conversation's turns are serialised by locking its row
(``SELECT ... FOR UPDATE``) in the transaction that applies the turn; due timers and outbox
rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased, so each runs in one process
and a process that dies mid-delivery gives its lease back when it expires.  Migrations run
under an advisory lock, so processes starting together migrate once.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from flowctl.server.storage.migrations import MIGRATIONS, statements
from flowctl.server.storage.sql import POSTGRES, Tx

#: The advisory lock key migrations hold ("flowctl" in ASCII).
MIGRATION_LOCK = 0x666C6F7763746C


def _pg(sql: str) -> str:
    return sql.replace("?", "%s")


class _Cursor:
    """The statements of one transaction, in as few round trips as their order allows.

    A write needs no answer, so it waits in ``pending`` and goes with the next read, or with
    the COMMIT, in one query of several statements (parameters bound on the client): a
    message's turn is three round trips (BEGIN and the locked read; the read of its key;
    its writes and COMMIT) instead of seven.  An error in a write surfaces there, and the
    transaction rolls back as a whole.  Outside a transaction (``read()``) every statement
    runs at once, server-side bound and prepared.
    """

    def __init__(self, connection: Any, *, transaction: bool = False) -> None:
        self.connection = connection
        self.transaction = transaction
        self.begun = False
        self.pending: list[tuple[str, tuple[Any, ...]]] = []

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if self.transaction:
            self.pending.append((_pg(sql), tuple(params)))
        else:
            await self.connection.execute(_pg(sql), tuple(params), prepare=True)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        cursor = await self._send(_pg(sql), tuple(params))
        row: tuple[Any, ...] | None = await cursor.fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cursor = await self._send(_pg(sql), tuple(params))
        return list(await cursor.fetchall())

    async def fetchsets(self, statements: Sequence[tuple[str, Sequence[Any]]],
                        ) -> list[list[tuple[Any, ...]]]:
        """Several reads in one round trip, each statement seeing what was committed when it
        started (one after the other: a read after a lock sees what the lock's holder wrote)."""
        if len(statements) == 1:
            return [await self.fetchall(*statements[0])]
        first = len(self.pending) + (0 if self.begun or not self.transaction else 1)
        cursor = await self._send_all([(_pg(sql), tuple(values)) for sql, values in statements])
        sets: list[list[tuple[Any, ...]]] = []
        for index in range(first + len(statements)):
            if index >= first:
                sets.append(list(await cursor.fetchall()))
            cursor.nextset()
        return sets

    async def commit(self) -> None:
        if self.begun or self.pending:
            await self._send("COMMIT", ())

    async def rollback(self) -> None:
        self.pending.clear()
        if self.begun:
            await self.connection.execute("ROLLBACK")

    async def _send(self, sql: str, params: tuple[Any, ...]) -> Any:
        """``sql`` after the BEGIN and the writes still pending, in one round trip; the
        cursor positioned on the answer of ``sql``."""
        statements = [(sql, params)]
        if self.transaction and (self.pending or not self.begun):
            cursor = await self._send_all(statements)
            while cursor.nextset():
                pass
            return cursor
        return await self.connection.execute(sql, params, prepare=True)

    async def _send_all(self, statements: list[tuple[str, tuple[Any, ...]]]) -> Any:
        """The BEGIN, the pending writes and ``statements`` in one query of several
        statements; the cursor positioned on the first answer."""
        if self.transaction:
            statements = self.pending + statements
            self.pending = []
            if not self.begun:
                statements.insert(0, ("BEGIN", ()))
                self.begun = True
        from psycopg import AsyncClientCursor

        cursor = AsyncClientCursor(self.connection)
        await cursor.execute("; ".join(text for text, _ in statements),
                             [value for _, values in statements for value in values])
        return cursor


class PostgresStorage:
    dialect = POSTGRES

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 20) -> None:
        from psycopg_pool import AsyncConnectionPool

        self.url = url
        self.pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                                        kwargs={"autocommit": True})
        self.describe = "postgresql://" + url.split("@")[-1].split("://")[-1]  # no password

    async def open(self) -> None:
        import psycopg

        # one plain connection first: a refused or unknown database is one clear line, not
        # the pool's retries logged for seconds
        connection = await psycopg.AsyncConnection.connect(self.url, connect_timeout=10)
        await connection.close()
        await self.pool.open(wait=True, timeout=10)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.pool.connection() as connection:
            cursor = _Cursor(connection, transaction=True)
            try:
                yield Tx(cursor, POSTGRES)
            except BaseException:
                with contextlib.suppress(Exception):  # a broken connection: the pool drops it
                    await cursor.rollback()
                raise
            await cursor.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        async with self.pool.connection() as connection:
            yield Tx(_Cursor(connection), POSTGRES)

    async def migrate(self) -> list[int]:
        applied: list[int] = []
        async with self.pool.connection() as connection:
            async with connection.transaction():
                await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            for version, migration in MIGRATIONS:
                async with connection.transaction():
                    await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                    cursor = await connection.execute(
                        "SELECT 1 FROM schema_migrations WHERE version = %s", (version,))
                    if await cursor.fetchone():
                        continue
                    for statement in statements(migration, "postgres"):
                        await connection.execute(statement)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                    applied.append(version)
        return applied

    async def schema_version(self) -> int:
        try:
            async with self.pool.connection() as connection:
                cursor = await connection.execute("SELECT MAX(version) FROM schema_migrations")
                row = await cursor.fetchone()
        except Exception:
            return 0
        return int(row[0] or 0) if row else 0

    async def close(self) -> None:
        await self.pool.close()
