"""The baseline of bench/server.py: a bare Starlette endpoint that does one INSERT per request.

``POST /v1/conversations/{id}/messages`` (the path flowctl serves, so that one wrk script
drives both) reads the JSON body and inserts the conversation id, the Idempotency-Key and
the text as one row: on SQLite with WAL and ``synchronous=FULL`` (flowctl's default
durability), on PostgreSQL through a psycopg pool of flowctl's size, each statement its own
transaction.  It runs under uvicorn with the settings ``flowctl serve`` uses (uvloop and
httptools when installed, one process, no access log).

Usage: python bench/bare_app.py --port PORT --db sqlite:///PATH|postgresql://...
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TABLE = ("CREATE TABLE IF NOT EXISTS bare_messages (id BIGSERIAL PRIMARY KEY, "
         "conversation_id TEXT NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL)")
INSERT = "INSERT INTO bare_messages (conversation_id, key, text) VALUES (?, ?, ?)"


def prepare(db: str) -> None:
    """Create the table (once, before the server processes start)."""
    if db.startswith("sqlite:///"):
        with sqlite3.connect(db[len("sqlite:///"):]) as connection:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute(TABLE.replace("BIGSERIAL", "INTEGER"))
        return
    import psycopg

    with psycopg.connect(db, autocommit=True) as connection:
        connection.execute(TABLE)


def create_app(db: str) -> Starlette:
    state: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if db.startswith("sqlite:///"):
            connection = sqlite3.connect(db[len("sqlite:///"):], isolation_level=None,
                                         check_same_thread=False)
            connection.execute("PRAGMA busy_timeout = 10000")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = FULL")
            state["sqlite"] = connection
            try:
                yield
            finally:
                connection.close()
            return
        from psycopg_pool import AsyncConnectionPool

        pool = AsyncConnectionPool(db, min_size=2, max_size=20, open=False,
                                   kwargs={"autocommit": True})
        await pool.open(wait=True, timeout=30)
        state["pool"] = pool
        try:
            yield
        finally:
            await pool.close()

    async def message(request: Request) -> Response:
        body = json.loads(await request.body())
        values = (request.path_params["id"], request.headers.get("idempotency-key", ""),
                  str(body.get("text", "")))
        if "sqlite" in state:
            row = (state["sqlite"].execute(INSERT, values).lastrowid,)
        else:
            async with state["pool"].connection() as connection:
                cursor = await connection.execute(INSERT.replace("?", "%s") + " RETURNING id",
                                                  values, prepare=True)
                row = await cursor.fetchone()
        return JSONResponse({"id": row[0]})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route("/v1/conversations/{id}/messages", message, methods=["POST"]),
                             Route("/healthz", healthz)], lifespan=lifespan)


def main() -> None:
    import importlib.util

    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    uvicorn.run(create_app(args.db), host="127.0.0.1", port=args.port, loop=loop, http=http,
                log_level="warning", access_log=False, server_header=False,
                timeout_graceful_shutdown=10)


if __name__ == "__main__":
    main()
