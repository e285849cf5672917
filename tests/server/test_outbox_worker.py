"""Calls in flight: a slow endpoint holds up nothing else, a dropped request no key for long.

- The outbox worker runs each attempt on its own: a call to an endpoint that takes 2 s is
  claimed first and alone; a call queued after it must reach its endpoint (and its
  conversation go on) while the slow one is still in flight.
- A message whose request dies while the server waits inline for its call leaves its
  Idempotency-Key "in progress" (409) only for the inline wait and a margin; then the key
  replays the answer committed with the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import textwrap
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from flowctl.server.app import create_app

from .conftest import Api, settings_for

pytestmark = pytest.mark.anyio

SLOW = 2.0


class Endpoint:
    """/slow answers after SLOW seconds, /fast at once; each request's arrival and answer
    times, by path."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.answered: dict[str, float] = {}
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                endpoint.arrived[self.path] = time.monotonic()
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == "/slow":
                    time.sleep(SLOW)
                body = b'{"id": "x"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                endpoint.answered[self.path] = time.monotonic()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()


def files(port: int) -> dict[str, str]:
    def flow(name: str) -> str:
        return textwrap.dedent(f"""\
            flow: {name}
            start:
              on: custom:{name}
            blocks:
              - id: push
                type: data_update
                endpoint: {name}
                body: {{a: 1}}
                save: result
                on_error: failed
              - id: saved
                type: end
                outcome: saved
              - id: failed
                type: end
                outcome: failed
            """)

    return {
        "flowctl.yaml": textwrap.dedent(f"""\
            project: acme-cloud
            timezone: UTC
            lint:
              rules: {{X002: off, V003: off}}
            endpoints:
              slow: {{url: "http://127.0.0.1:{port}/slow", method: POST, timeout: 5}}
              fast: {{url: "http://127.0.0.1:{port}/fast", method: POST, timeout: 5}}
            """),
        "slow.flow.yaml": flow("slow"),
        "fast.flow.yaml": flow("fast"),
    }


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    served = Endpoint()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
async def api_with_workers(database: str, tmp_path: Path, endpoint: Endpoint) -> AsyncIterator[Api]:
    settings = settings_for(database, tmp_path, inline_wait=0.0,
                            allow_egress=(f"127.0.0.1:{endpoint.port}",))
    app = create_app(settings)  # with its background workers
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            yield Api(client)


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.02)
    return False


async def test_a_slow_endpoint_holds_up_no_call_queued_after_it(api_with_workers: Api,
                                                              endpoint: Endpoint) -> None:
    api = api_with_workers
    assert (await api.publish(files(endpoint.port))).status_code == 201

    async def start(name: str) -> tuple[str, str]:
        answer = await api.event(await api.visitor(), {"type": "custom", "name": name})
        assert answer.status_code == 201, answer.text
        return answer.json()["conversation"]["id"], answer.json()["token"]

    async def arrived(path: str) -> bool:
        return path in endpoint.arrived

    slow = await start("slow")
    assert await _until(lambda: arrived("/slow"), 5)  # claimed, alone, and in flight
    fast = await start("fast")
    assert await _until(lambda: arrived("/fast"), 5)
    assert "/slow" not in endpoint.answered, "the fast call waited for the slow one"
    for conversation, token in (fast, slow):
        async def saved(c: str = conversation, t: str = token) -> bool:
            answer = await api.client.get(f"/v1/conversations/{c}",
                                          headers={"Authorization": f"Bearer {t}"})
            return bool(answer.json()["outcome"] == "saved")

        assert await _until(saved, SLOW + 5)
    assert endpoint.arrived["/fast"] < endpoint.answered["/slow"]


@pytest.fixture
async def api_inline(tmp_path: Path, endpoint: Endpoint) -> AsyncIterator[Api]:
    settings = settings_for(f"sqlite:///{tmp_path / 'runtime.db'}", tmp_path, inline_wait=1.0,
                            allow_egress=(f"127.0.0.1:{endpoint.port}",))
    app = create_app(settings, workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            yield Api(client)


async def test_a_key_whose_request_died_in_the_inline_wait_is_answered_after_the_wait(
        api_inline: Api, endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    from flowctl.server import messages

    monkeypatch.setattr(messages, "PROCESSING_MARGIN", 0.5)
    api = api_inline
    slow_asker = files(endpoint.port)
    slow_asker["slow.flow.yaml"] = textwrap.dedent("""\
        flow: slow
        start:
          on: chat_opened
        blocks:
          - id: ask
            type: question
            text: Name?
            save: name
          - id: push
            type: data_update
            endpoint: slow
            body: {name: "{{ name }}"}
            on_error: failed
          - id: saved
            type: end
            outcome: saved
          - id: failed
            type: end
            outcome: failed
        """)
    assert (await api.publish(slow_asker)).status_code == 201
    started = (await api.event(await api.visitor(), {"type": "chat_opened"})).json()
    conversation, token = started["conversation"]["id"], started["token"]
    body = {"type": "text", "text": "Ada"}
    dying = asyncio.create_task(api.say(conversation, token, body, key="k1"))
    assert await _until(lambda: _true("/slow" in endpoint.arrived), 5)
    dying.cancel()  # the visitor's connection drops while the server waits for the call
    with contextlib.suppress(asyncio.CancelledError):
        await dying
    again = await api.say(conversation, token, body, key="k1")
    assert again.status_code == 409 and again.json()["error"]["code"] == "in_progress"
    await asyncio.sleep(1.0 + 0.5 + 0.2)  # the inline wait and the margin
    replay = await api.say(conversation, token, body, key="k1")
    assert replay.status_code == 200, replay.text
    assert replay.json()["conversation"]["waiting_for"] == "response"  # as committed


async def _true(value: bool) -> bool:
    return value
