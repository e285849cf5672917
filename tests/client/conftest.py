"""The runtime for the client's tests: the real app (tests/server/conftest.py's
``settings_for`` and ``create_app``) behind ``httpx.ASGITransport``, on SQLite and PostgreSQL.

Each CLI run makes its own event loop (``asyncio.run``), so the app's lifespan runs inside it:
:class:`AppTransport` starts the app on the test's database at the first request and stops it
when the client closes, as a fresh server process on the same database would.  The CLI gets
the transport through ``flowctl.client.workflow._transport_factory`` (Python only).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from server.conftest import ADMIN, EXAMPLE, database, settings_for  # noqa: F401 (a fixture)

from flowctl.client import workflow
from flowctl.server.app import create_app
from flowctl.server.settings import Settings


class AppTransport(httpx.AsyncBaseTransport):
    """The app through ``httpx.ASGITransport``, started at the first request (in the loop of
    the client that sends it) and stopped when that client closes; every request is noted."""

    def __init__(self, settings: Settings, requests: list[str]) -> None:
        self.settings = settings
        self.requests = requests
        self._stack: contextlib.AsyncExitStack | None = None
        self._inner: httpx.ASGITransport | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}"
                             + (f"?{request.url.query.decode()}" if request.url.query else ""))
        if self._inner is None:
            app = create_app(self.settings, workers=False)
            self._stack = contextlib.AsyncExitStack()
            await self._stack.enter_async_context(app.router.lifespan_context(app))
            self._inner = httpx.ASGITransport(app=app)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._inner = None, None


@dataclass
class Runtime:
    """The runtime the CLI reaches in a test: ``requests`` lists what it was sent."""

    settings: Settings
    requests: list[str] = field(default_factory=list)

    def transport(self) -> AppTransport:
        return AppTransport(self.settings, self.requests)


def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("FLOWCTL_TOKEN", "FLOWCTL_DATA_DIR", "FLOWCTL_ADMIN_TOKEN", "NO_COLOR",
                 "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"  # no .flowctl/admin-token of anyone else's server in reach
    work.mkdir()
    monkeypatch.chdir(work)


@pytest.fixture
def runtime(database: str, tmp_path: Path,  # noqa: F811 (the fixture imported above)
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """The app on a fresh database (SQLite, then PostgreSQL), wired into the CLI; the admin
    token in FLOWCTL_TOKEN."""
    yield from _runtime(database, tmp_path, monkeypatch)


@pytest.fixture
def sqlite_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """As ``runtime``, on SQLite only (for the tests of one behaviour of the client)."""
    yield from _runtime(f"sqlite:///{tmp_path / 'runtime.db'}", tmp_path, monkeypatch)


def _runtime(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    _clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("FLOWCTL_TOKEN", ADMIN)
    found = Runtime(settings_for(db, tmp_path))
    monkeypatch.setattr(workflow, "_transport_factory", found.transport)
    yield found


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No runtime at all: the network is the real one, the environment clean."""
    _clean_environment(monkeypatch, tmp_path)
    monkeypatch.setattr(workflow, "_transport_factory", None)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the example project (outside any git repository)."""
    target = tmp_path / "project"
    shutil.copytree(EXAMPLE, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
