"""SQLite storage: one file, WAL, ``BEGIN IMMEDIATE`` transactions, for a runtime on one box.

Writers are serialised by SQLite itself (``BEGIN IMMEDIATE`` takes the write lock, other
processes wait up to ``busy_timeout``) and, inside one process, by an asyncio lock, so a
conversation's turns apply one at a time.  Readers never wait (WAL).  ``durability`` is
``full`` (the default: a committed message survives a power cut) or ``normal`` (survives a
crash of the process, not of the machine; several times faster on slow disks).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from flowctl.server.storage.migrations import MIGRATIONS, statements
from flowctl.server.storage.sql import SQLITE, Tx

#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 10_000


class _Cursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, [tuple(row) for row in rows])

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.connection.execute(sql, tuple(params)).fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, tuple(params)).fetchall())


class SqliteStorage:
    dialect = SQLITE

    def __init__(self, path: str | Path, *, durability: str = "full") -> None:
        if durability not in ("full", "normal"):
            raise ValueError("durability is 'full' or 'normal'")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(self.path, isolation_level=None,
                                          check_same_thread=False)
        self.connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute(f"PRAGMA synchronous = {durability.upper()}")
        self.connection.execute("PRAGMA foreign_keys = ON")
        self._lock = asyncio.Lock()
        self.describe = f"sqlite:///{self.path}"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._lock:
            self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(_Cursor(self.connection), SQLITE)
            except BaseException:
                self.connection.execute("ROLLBACK")
                raise
            else:
                self.connection.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """Reads outside a transaction (each statement sees the last commit)."""
        yield Tx(_Cursor(self.connection), SQLITE)

    async def migrate(self) -> list[int]:
        """Apply the migrations not applied yet; the versions applied now."""
        applied: list[int] = []
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
            "applied_at TEXT NOT NULL)")
        for version, migration in MIGRATIONS:
            async with self.transaction():
                done = self.connection.execute(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone()
                if done:
                    continue
                for statement in statements(migration, "sqlite"):
                    self.connection.execute(statement)
                self.connection.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))",
                    (version,))
                applied.append(version)
        return applied

    async def schema_version(self) -> int:
        try:
            row = self.connection.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        except sqlite3.Error:
            return 0
        return int(row[0] or 0)

    async def close(self) -> None:
        self.connection.close()
