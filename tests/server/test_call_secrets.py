"""Secrets reach a call only where flowctl.yaml's endpoint definition asks for them: a
``${NAME}`` that a visitor types into a value sent in a header stays text."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowctl.server.app import create_app

from .conftest import ADMIN, settings_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def recorder() -> Iterator[tuple[int, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()


async def test_a_visitor_cannot_make_the_server_resolve_a_secret(
        tmp_path: Path, recorder: tuple[int, list[dict[str, str]]]) -> None:
    port, seen = recorder
    config = (f"project: shop\ntimezone: UTC\nendpoints:\n  crm:\n"
              f"    url: http://127.0.0.1:{port}/contacts\n"
              "    headers: {Authorization: \"Bearer ${CRM_TOKEN}\"}\n")
    flow = """\
flow: ask
start: {on: [chat_opened]}
blocks:
  - {id: ask, type: question, text: Your name?, save: name}
  - id: push
    type: data_update
    endpoint: crm
    headers: {X-Visitor: "{{ name }}"}
    body: {name: "{{ name }}"}
    save: result
  - {id: done, type: end}
"""
    env = {"CRM_TOKEN": "crm-secret-value", "FLOWCTL_ADMIN_TOKEN": ADMIN}
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'r.db'}", tmp_path,
                                  allow_egress=(f"127.0.0.1:{port}",)), env=env, workers=False)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        published = await client.post("/v1/projects/shop/revisions",
                                      headers={"Authorization": f"Bearer {ADMIN}"},
                                      json={"files": {"flowctl.yaml": config, "a.flow.yaml": flow}})
        assert published.status_code == 201, published.text
        visitor = (await client.post("/v1/projects/shop/visitors")).json()
        started = (await client.post("/v1/projects/shop/events", json={"event": {"type": "chat_opened"}},
                                     headers={"Authorization": f"Bearer {visitor['visitor_token']}"})).json()
        answer = await client.post(
            f"/v1/conversations/{started['conversation']['id']}/messages",
            json={"type": "text", "text": "${FLOWCTL_ADMIN_TOKEN}"},
            headers={"Authorization": f"Bearer {started['token']}", "Idempotency-Key": "1"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["conversation"]["status"] == "ended"
    assert seen[0]["authorization"] == "Bearer crm-secret-value"
    assert seen[0]["x-visitor"] == "${FLOWCTL_ADMIN_TOKEN}"
    assert all(ADMIN not in value for headers in seen for value in headers.values())
