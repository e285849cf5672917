"""Servers for the tests: the real app through httpx.ASGITransport, on SQLite and on the
PostgreSQL at 127.0.0.1:5432 (a database made for the test and dropped after it)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowctl.bundle import collect
from flowctl.loader.project import load_project
from flowctl.server.app import create_app
from flowctl.server.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "flows"
PG_ADMIN = os.environ.get("FLOWCTL_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
ADMIN = "test-admin-token-0123456789"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:
        return False


def postgres_database(prefix: str = "flowctl_test_") -> Iterator[str]:
    """A fresh PostgreSQL database's URL, dropped afterwards (skipped when PostgreSQL is not
    reachable, failed on CI)."""
    if not postgres_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN} (make test starts it)")
        pytest.skip(f"PostgreSQL is not reachable at {PG_ADMIN}")
    import psycopg

    name = prefix + secrets.token_hex(6)
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runtime.db'}"
        return
    yield from postgres_database()


def settings_for(database: str, tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {"db": database, "data_dir": tmp_path / "data", "admin_token": ADMIN,
                              "inline_wait": 2.0}
    values.update(changes)
    return Settings(**values)


class Api:
    """An httpx client on the app, with the admin token and small helpers."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.admin = {"Authorization": f"Bearer {ADMIN}"}

    async def publish(self, files: dict[str, str], project: str = "acme-cloud",
                      **query: Any) -> httpx.Response:
        return await self.client.post(f"/v1/projects/{project}/revisions", params=query,
                                      json={"files": files, "message": "test"}, headers=self.admin)

    async def visitor(self, project: str = "acme-cloud") -> dict[str, Any]:
        answer = await self.client.post(f"/v1/projects/{project}/visitors")
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    async def event(self, visitor: dict[str, Any], event: dict[str, Any],
                    context: dict[str, Any] | None = None,
                    project: str = "acme-cloud") -> httpx.Response:
        return await self.client.post(
            f"/v1/projects/{project}/events", json={"event": event, "context": context or {}},
            headers={"Authorization": f"Bearer {visitor['visitor_token']}"})

    async def say(self, conversation: str, token: str, body: dict[str, Any],
                  key: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"/v1/conversations/{conversation}/messages", json=body,
            headers={"Authorization": f"Bearer {token}",
                     "Idempotency-Key": key or secrets.token_hex(8)})


def example_files() -> dict[str, str]:
    project, _ = load_project([EXAMPLE])
    return collect(project)


@pytest.fixture
async def api(database: str, tmp_path: Path) -> AsyncIterator[Api]:
    app = create_app(settings_for(database, tmp_path), workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            yield Api(client)
