"""SQLite storage: one file, WAL, ``BEGIN IMMEDIATE`` transactions, for a runtime on one box.

Writers are serialised by SQLite itself (``BEGIN IMMEDIATE`` takes the write lock, other
processes wait up to ``busy_timeout``) and, inside one process, by an asyncio lock, so a
conversation's turns apply one at a time.  Readers use a connection of their own and see
only committed data (WAL: they never wait for a writer).  ``durability`` is ``full`` (the
default: a committed message survives a power cut) or ``normal`` (survives a crash of the
process, not of the machine; several times faster on slow disks).

Group commit: the transactions of one process that queue for the write lock while another
runs join its SQLite transaction, each inside a savepoint (a failing one rolls back only its
own writes), and the last of the group commits for all, so one ``fsync`` makes a whole queue
durable.  Leaving ``async with storage.transaction()`` still means "committed": each waits
for its group's commit, and a failed commit fails every transaction of the group.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from flowctl.server.storage.migrations import MIGRATIONS, statements
from flowctl.server.storage.sql import SQLITE, Tx

#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 10_000

#: Transactions committed together at most (a bound on how long the first waits).
GROUP_LIMIT = 32


class _Group:
    """Transactions sharing one SQLite transaction; ``committed`` resolves at its commit."""

    def __init__(self) -> None:
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.size = 0


class _Cursor:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.connection.execute(sql, tuple(params))


    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.connection.execute(sql, tuple(params)).fetchone()
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.connection.execute(sql, tuple(params)).fetchall())

    async def fetchsets(self, statements: Sequence[tuple[str, Sequence[Any]]],
                        ) -> list[list[tuple[Any, ...]]]:
        return [await self.fetchall(sql, values) for sql, values in statements]


class SqliteStorage:
    dialect = SQLITE

    def __init__(self, path: str | Path, *, durability: str = "full") -> None:
        if durability not in ("full", "normal"):
            raise ValueError("durability is 'full' or 'normal'")
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.connection = self._connect(durability)
        self.connection.execute("PRAGMA journal_mode = WAL")
        # an in-memory database exists once per connection: it reads through the writer's
        self.reader = self.connection if self.path == ":memory:" else self._connect(durability)
        self._lock = asyncio.Lock()
        self._queued = 0  # transactions waiting for the lock
        self._group: _Group | None = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="flowctl-sqlite-commit")
        self._tasks: set[asyncio.Task[None]] = set()
        self.describe = f"sqlite:///{self.path}"

    def _connect(self, durability: str) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        connection.execute(f"PRAGMA synchronous = {durability.upper()}")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction, committed (with the others of its group) when the block ends."""
        self._queued += 1
        try:
            await self._lock.acquire()
        except BaseException:  # cancelled while queued: the group may have counted on it
            self._queued -= 1
            if self._group is not None and self._queued == 0 and not self._lock.locked():
                self._spawn(self._close_group())
            raise
        self._queued -= 1
        committing = False
        try:
            if self._group is None:
                self.connection.execute("BEGIN IMMEDIATE")
                self._group = _Group()
            group = self._group
            self.connection.execute("SAVEPOINT tx")
            try:
                yield Tx(_Cursor(self.connection), SQLITE)
            except BaseException:
                self.connection.execute("ROLLBACK TO tx")
                self.connection.execute("RELEASE tx")
                raise
            else:
                self.connection.execute("RELEASE tx")
                group.size += 1
            finally:
                if self._queued == 0 or group.size >= GROUP_LIMIT:
                    self._group = None
                    self._spawn(self._commit(group))  # it releases the lock
                    committing = True
        finally:
            if not committing:
                self._lock.release()
        await asyncio.shield(group.committed)

    async def _commit(self, group: _Group) -> None:
        """COMMIT in the storage's thread (the event loop runs on during the fsync), with
        the lock held; then the lock passes to the next group."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._commit_now)
        except sqlite3.Error as error:
            group.committed.set_exception(error)
            group.committed.exception()  # retrieved: a group of failed bodies awaits nothing
        else:
            group.committed.set_result(None)
        finally:
            self._lock.release()

    def _commit_now(self) -> None:
        try:
            self.connection.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute("ROLLBACK")
            raise

    async def _close_group(self) -> None:
        async with self.transaction():  # joins the open group last, so it commits it
            pass

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """Reads outside a transaction (each statement sees the last commit)."""
        yield Tx(_Cursor(self.reader), SQLITE)

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
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._thread.shutdown(wait=True)
        if self.reader is not self.connection:
            self.reader.close()
        self.connection.close()
