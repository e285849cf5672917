"""Every example visitor replayed over HTTP against a served project gives the bot messages,
outcome and tags that ``flowctl simulate`` gives.

The endpoints of flowctl.yaml are pointed at a stub on 127.0.0.1 (named by the egress
allow-list) that answers each conversation with its visitor's mocks; the clock, the secrets'
environment and the scripted assistant replies reach the app only from Python
(``create_app(clock=..., env=..., assistant=...)``): no flag or variable can set them.
Visitors files with ``flow:`` start their flow through the operator's start route; the others
send their event, and the start conditions decide, as on the simulator.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from flowctl.engine import BotMessage, parse_now
from flowctl.engine.fakes import FixedClock
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.expr.schedule import project_zone
from flowctl.loader.project import load_project
from flowctl.model.visitors import (
    AgentsStep,
    BotStep,
    ClickStep,
    FormStep,
    SayStep,
    WaitStep,
    thaw,
)
from flowctl.server.app import create_app
from flowctl.server.auth import identity_signature
from flowctl.simulate.mocks import canned, visitor_ports
from flowctl.simulate.runner import run_project
from flowctl.simulate.transcript import describe_message

from .conftest import ADMIN, EXAMPLE, example_files, settings_for

pytestmark = pytest.mark.anyio
SECRET = "identity-secret-for-the-parity-test"


class Stub:
    """Endpoints on 127.0.0.1: each conversation gets its visitor's mocked answers (a
    sequence's last entry repeats), found by the call's Idempotency-Key."""

    def __init__(self) -> None:
        self.mocks: dict[str, dict[str, list[Any]]] = {}  # conversation -> endpoint -> answers
        self.current: dict[str, list[Any]] = {}  # the visitor being replayed (its first calls
        # arrive before its conversation's id is known)
        self.counts: dict[tuple[str, str], int] = {}
        self.keys: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                key = self.headers.get("idempotency-key", "")
                stub.keys.append(key)
                conversation = key.split(":", 1)[0]
                endpoint = self.path.strip("/").split("?")[0]
                mocks = stub.mocks.setdefault(conversation, stub.current)
                answers = mocks.get(endpoint) or []
                index = stub.counts.get((conversation, endpoint), 0)
                stub.counts[(conversation, endpoint)] = index + 1
                if not answers:
                    status, body = 599, {"error": "unmocked"}
                else:
                    response = answers[min(index, len(answers) - 1)].response
                    status, body = response.status, response.json
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def stub() -> Iterator[Stub]:
    running = Stub()
    yield running
    running.close()


class Assistants:
    """The assistant port of the app: each conversation's visitor script answers it."""

    def __init__(self) -> None:
        self.by_conversation: dict[str, Any] = {}

    def reply(self, question: Any) -> Any:
        return self.by_conversation[question.conversation].reply(question)


def bundle_for(stub: Stub) -> tuple[dict[str, str], dict[str, str]]:
    """The example project's bundle with every endpoint URL pointed at the stub, and the
    secrets its headers reference."""
    files = example_files()
    config = yaml.safe_load(files["flowctl.yaml"])
    text = files["flowctl.yaml"]
    for name, endpoint in config["endpoints"].items():
        text = text.replace(endpoint["url"], f"http://127.0.0.1:{stub.port}/{name}")
    files["flowctl.yaml"] = text
    secrets = {name: f"secret-{name.lower()}" for name in
               ("CRM_TOKEN", "CALENDAR_TOKEN", "FEEDBACK_API_KEY", "HELPDESK_TOKEN", "AI_API_KEY",
                "FLOWCTL_TOKEN")}
    return files, secrets


def context_of(visitor: Any) -> dict[str, Any]:
    context = thaw(visitor.context) or {}
    return {key: context[key] for key in ("page", "visitor", "device", "chat") if key in context}


def identity_of(context: dict[str, Any]) -> dict[str, Any] | None:
    visitor = context.get("visitor") or {}
    if not visitor.get("identified"):
        return None
    identity_id = str(visitor.get("id") or "visitor")
    attributes = visitor.get("attributes") or {}
    return {"id": identity_id, "attributes": attributes,
            "signature": identity_signature(SECRET, identity_id, attributes)}


async def replay(client: httpx.AsyncClient, app: Any, stub: Stub, assistants: Assistants,
                 project: Any, vf: Any, visitor: Any, expected_flow: str | None) -> dict[str, Any]:
    """One visitor over HTTP; what it saw."""
    from flowctl.server.delivery import deliver, fire_timers

    runtime = app.state.runtime
    admin = {"Authorization": f"Bearer {ADMIN}"}
    clock: FixedClock = runtime.clock
    clock.set(parse_now(visitor.now, project_zone(project)))
    fakes = visitor_ports(project, visitor, KnowledgeBase(project.articles))
    agents = thaw(visitor.agents) or {}
    await client.put("/v1/projects/acme-cloud/agents", headers=admin,
                     json={"departments": {**{d: 0 for d in runtime_departments(project)},
                                           **agents}})
    stub.current = {m.endpoint.name: [canned(r) for r in m.responses]
                    for m in visitor.mocks.endpoints}
    context = context_of(visitor)
    event = dict((thaw(visitor.context) or {}).get("event") or {})
    if visitor.event is not None:
        event.update(type=visitor.event.type, **({"name": visitor.event.name}
                                                 if visitor.event.name else {}))
    chosen = vf.flow.name if vf.flow is not None else None
    if chosen is None and "chat" in context:
        # a context about an earlier chat (`chat.messages`) has no place in an event: the
        # operator's start takes it, with the flow the simulator chose
        chosen = expected_flow
    if chosen is not None:
        flow = project.flow(chosen)
        if "type" not in event and flow.start is not None and flow.start.on:
            event.update(type=flow.start.on[0].type,
                         **({"name": flow.start.on[0].name} if flow.start.on[0].name else {}))
        answer = await client.post("/v1/projects/acme-cloud/conversations", headers=admin,
                                   json={"flow": chosen, "event": event, "context": context})
    else:
        token = (await client.post("/v1/projects/acme-cloud/visitors")).json()
        body: dict[str, Any] = {"event": event, "context": context}
        identity = identity_of(context)
        if identity is not None:
            body["identity"] = identity
        body["context"].pop("chat", None)
        answer = await client.post("/v1/projects/acme-cloud/events", json=body,
                                   headers={"Authorization": f"Bearer {token['visitor_token']}"})
    started = answer.json()
    if not started.get("started"):
        return {"started": None, "answer": started, "status": answer.status_code}
    conversation, conv_token = started["conversation"]["id"], started["token"]
    headers = {"Authorization": f"Bearer {conv_token}"}
    assistants.by_conversation[conversation] = fakes.assistant

    async def settle() -> None:
        for _ in range(50):  # retries wait in real time; move the outbox's clock on instead
            view = (await client.get(f"/v1/conversations/{conversation}", headers=headers)).json()
            if view["waiting_for"] != "response":
                return
            runtime.wall = lambda base=runtime.wall: base() + 120
            await deliver(runtime)
        raise AssertionError("a call never settled")

    await settle()
    for number, step in enumerate(visitor.steps):
        if isinstance(step, BotStep):
            continue
        if isinstance(step, AgentsStep):
            agents.update(thaw(step.agents) or {})
            await client.put("/v1/projects/acme-cloud/agents", headers=admin,
                             json={"departments": agents})
            continue
        if isinstance(step, WaitStep):
            clock.advance(step.seconds)
            await fire_timers(runtime)
            await settle()
            continue
        view = (await client.get(f"/v1/conversations/{conversation}", headers=headers)).json()
        if view["status"] == "ended":
            break
        if isinstance(step, SayStep):
            message: dict[str, Any] = {"type": "text", "text": step.text}
        elif isinstance(step, ClickStep):
            if step.label not in (view["input"] or {}).get("choices", []):
                continue  # a link button: nothing reaches the bot
            message = {"type": "choice", "label": step.label}
        else:
            assert isinstance(step, FormStep)
            message = {"type": "form", "values": thaw(step.values) or {}}
        sent = await client.post(f"/v1/conversations/{conversation}/messages", json=message,
                                 headers={**headers, "Idempotency-Key": f"step-{number}"})
        assert sent.status_code == 200, (visitor.name, step, sent.text)
        await settle()
    view = (await client.get(f"/v1/conversations/{conversation}", headers=headers)).json()
    bot = [describe_message(BotMessage.from_json(entry["message"]))
           for entry in view["transcript"] if entry["from"] == "bot"]
    return {"started": view["flow"] if vf.flow is None else vf.flow.name, "bot": bot,
            "outcome": view["outcome"], "tags": sorted(view["tags"])}


def runtime_departments(project: Any) -> list[str]:
    return [ref.name for ref in project.config.departments]


async def test_every_example_visitor_over_http_matches_simulate(stub: Stub, tmp_path: Path) -> None:
    project, _ = load_project([EXAMPLE])
    simulated = run_project(project)
    assert simulated.failed == 0
    files, secrets = bundle_for(stub)
    assistants = Assistants()
    clock = FixedClock(parse_now(None, project_zone(project)))
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'parity.db'}", tmp_path,
                                  allow_egress=(f"127.0.0.1:{stub.port}",), inline_wait=0.5),
                     clock=clock, env={**secrets, "FLOWCTL_IDENTITY_SECRET_ACME_CLOUD": SECRET},
                     assistant=assistants, workers=False)
    compared = 0
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            published = await client.post("/v1/projects/acme-cloud/revisions",
                                          headers={"Authorization": f"Bearer {ADMIN}"},
                                          json={"files": files})
            assert published.status_code == 201, published.text
            for vf, file_result in zip(project.visitor_files, simulated.files, strict=True):
                for visitor, expected in zip(vf.visitors, file_result.visitors, strict=True):
                    got = await replay(client, app, stub, assistants, project, vf, visitor,
                                       expected.started)
                    if expected.started is None:
                        assert got["started"] is None, (visitor.name, got)
                        continue
                    assert got["started"] is not None, (visitor.name, got)
                    want_bot = [t.text for t in expected.transcript if t.who == "bot"]
                    assert got["bot"] == want_bot, visitor.name
                    assert got["outcome"] == expected.outcome, visitor.name
                    assert got["tags"] == sorted(expected.state.tags if expected.state else []), \
                        visitor.name
                    compared += 1
    assert compared >= 40
    assert stub.keys and all(key.count(":") == 2 for key in stub.keys)
