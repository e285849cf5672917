"""A property-based run of ``/openapi.json`` against the app (schemathesis): no 5xx, no status
code the document does not list, no answer that breaks its schema or its content type, no
schema-violating request accepted, auth enforced, a 405 with its Allow header.

The app runs on SQLite in a temporary folder with the example project published, one visitor
and one conversation; the generated calls carry the admin, visitor and conversation tokens
where the document asks for them (schemathesis also sends them without, and with a wrong
one), and half of them name that project and conversation (the other half exercise the 404
paths).  Both of schemathesis's phases run: coverage (boundary values, missing and unexpected
parameters, undeclared methods) and fuzzing.  Bounded and reproducible: a fixed number of
examples per operation, derandomized, no example database.  The SSE stream never ends, so it
is left out of the property run and opened below with a deadline.

After it: a regression test for each failure the run (and the probes around it) found.
"""

from __future__ import annotations

import asyncio
import json
import os
import zlib
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.python import asgi as schemathesis_asgi
from starlette.applications import Starlette

from flowctl import __version__
from flowctl.server.api import openapi, validate
from flowctl.server.app import create_app, operations

from .conftest import ADMIN, Api, example_files, settings_for

PROJECT = "acme-cloud"
#: Examples per operation, and the seed: fixed, so a run is reproducible and short; set
#: FLOWCTL_PROPERTY_EXAMPLES / FLOWCTL_PROPERTY_SEED for a deeper or different run.
MAX_EXAMPLES = int(os.environ.get("FLOWCTL_PROPERTY_EXAMPLES", "40"))
SEED = int(os.environ.get("FLOWCTL_PROPERTY_SEED", "20240609"))


@dataclass
class Served:
    """What the property run talks to; filled in by the ``served`` fixture."""

    app: Starlette | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    conversation: str = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the served fixture starts the app"
        await self.app(scope, receive, send)


SERVED = Served()


async def _prepare(database: str, tmp_path: Path) -> tuple[str, str, str]:
    """Publish the example project; make a visitor and a conversation (on a first app)."""
    app = create_app(settings_for(database, tmp_path), workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            api = Api(client)
            assert (await api.publish(example_files())).status_code == 201
            started = await api.event(await api.visitor(), {"type": "chat_opened"})
            assert started.status_code == 201, started.text
            body = started.json()
            # Another visitor for the property run: the first one's conversation is open, so
            # its events would never start anything.
            other = await api.visitor()
    return other["visitor_token"], body["conversation"]["id"], body["token"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp("openapi-properties")
    database = f"sqlite:///{tmp_path / 'runtime.db'}"
    visitor, conversation, token = asyncio.run(_prepare(database, tmp_path))
    # The app schemathesis starts (its lifespan runs on schemathesis's event loop thread).
    SERVED.app = create_app(settings_for(database, tmp_path, inline_wait=0.0), workers=False)
    SERVED.tokens = {"adminToken": ADMIN, "visitorToken": visitor, "conversationToken": token}
    SERVED.conversation = conversation
    try:
        yield SERVED
    finally:
        schemathesis_asgi.shutdown_lifespans()
        SERVED.app = None


CONFIG = schemathesis.Config.from_dict({
    "seed": SEED,
    "request-timeout": 10,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                   "mode": "all"},
    "checks": {
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
    },
    "operations": [
        # A missing or wrong conversation token is a 404, as for a conversation that does not
        # exist (the spec: tokens cannot be probed), never the 401/403 these checks want;
        # test_conversations.py::test_wrong_or_missing_conversation_token_is_404 checks it.
        {"include-operation-id": ["conversation", "events", "send_message"],
         "checks": {"ignored_auth": {"enabled": False},
                    "missing_required_header": {"enabled": False}}},
        # A schema-valid body may still be refused with a 422 the spec names: a bundle that
        # does not lint, an Idempotency-Key reused with another body, a flow the active
        # revision does not have.
        {"include-operation-id": ["publish", "send_message", "start_conversation"],
         "checks": {"positive_data_acceptance": {
             "expected-statuses": ["2xx", 401, 404, 409, 422]}}},
    ],
})
schema = schemathesis.openapi.from_dict(openapi(operations(), __version__), config=CONFIG).exclude(
    operation_id="stream")
schema.app = SERVED


#: What a case carries for a token the app has not made yet (coverage cases are built while
#: pytest collects, before the fixture runs); the test puts the real one in.
LATER = "token-of-"


@schema.auth(refresh_interval=None)
class Tokens:
    """The token each operation's security scheme names (none for the open routes)."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str | None:
        for requirement in case.operation.definition.raw.get("security", []):
            for name in requirement:
                return SERVED.tokens.get(name, LATER + name)
        return None

    def set(self, case: schemathesis.Case, data: str | None,
            context: schemathesis.AuthContext) -> None:
        if data is not None:
            case.headers["Authorization"] = f"Bearer {data}"


def _known(case: schemathesis.Case) -> bool:
    """Whether this case is sent to the published project and the live conversation: half of
    them, chosen from the generated values (so the same run chooses the same)."""
    drawn = json.dumps(case.path_parameters, sort_keys=True, ensure_ascii=True)
    return zlib.crc32(drawn.encode()) % 2 == 0


@schema.parametrize()
def test_the_app_keeps_the_openapi_document(case: schemathesis.Case, served: Served) -> None:
    credential = str(case.headers.get("Authorization", ""))
    if credential.startswith("Bearer " + LATER):
        case.headers["Authorization"] = "Bearer " + served.tokens[credential[7 + len(LATER):]]
    if case.path_parameters and _known(case):
        if "project" in case.path_parameters:
            case.path_parameters["project"] = PROJECT
        if "id" in case.path_parameters:
            case.path_parameters["id"] = served.conversation
    case.call_and_validate()


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[tuple[Starlette, Api]]:
    """An app on SQLite of its own, its lifespan entered, and a client on it."""
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'runtime.db'}", tmp_path), workers=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://runtime.test") as client:
            yield app, Api(client)


@pytest.mark.anyio
async def test_the_property_run_reads_the_document_the_app_serves(
        local: tuple[Starlette, Api]) -> None:
    served = await local[1].client.get("/openapi.json")
    assert served.json() == json.loads(json.dumps(openapi(operations(), __version__)))


async def _first_event(app: Starlette, path: str, headers: dict[str, str] | None = None,
                       deadline: float = 5.0) -> tuple[int, dict[str, str], str]:
    """Open a response that may never end, read it up to its first complete ``id:`` event (or
    its end), then disconnect: at most ``deadline`` seconds, whatever the app does."""
    target, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": target, "raw_path": target.encode(),
             "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"runtime.test"),
                         *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
             "client": ("127.0.0.1", 1), "server": ("runtime.test", 80)}
    done = asyncio.Event()
    started: dict[str, Any] = {}
    body = bytearray()

    async def receive() -> dict[str, Any]:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))
            events = bytes(body).split(b"\n\n")[:-1]  # the complete ones
            if any(e.startswith(b"id: ") for e in events) or not message.get("more_body"):
                done.set()

    task = asyncio.create_task(app(scope, receive, send))
    try:
        await asyncio.wait_for(done.wait(), deadline)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    answer_headers = {k.decode(): v.decode() for k, v in started.get("headers", [])}
    return started["status"], answer_headers, body.decode()


def _events(text: str) -> list[dict[str, Any]]:
    """The ``id:`` events of a stream's text: {"id", "event", "data"}."""
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "id" in fields:
            found.append({"id": int(fields["id"]), "event": fields["event"],
                          "data": json.loads(fields["data"])})
    return found


async def _conversation(api: Api) -> tuple[str, str]:
    assert (await api.publish(example_files())).status_code == 201
    body = (await api.event(await api.visitor(), {"type": "chat_opened"})).json()
    return body["conversation"]["id"], body["token"]


@pytest.mark.anyio
async def test_the_stream_opens_and_sends_the_first_event(local: tuple[Starlette, Api]) -> None:
    app, api = local
    conversation, token = await _conversation(api)
    stream = f"/v1/conversations/{conversation}/stream"
    status, headers, text = await _first_event(app, f"{stream}?token={token}")
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    assert text.startswith("retry: 2000\n\n")
    first = _events(text)[0]
    assert first["id"] == first["data"]["seq"] == 1 and first["event"] == first["data"]["type"]
    validate("Event", first["data"])  # the document's Event
    # Reconnecting with Last-Event-ID resumes after it; `after` wins over the header.
    _, _, text = await _first_event(app, stream, {"Authorization": f"Bearer {token}",
                                                  "Last-Event-ID": "1"})
    assert _events(text)[0]["id"] == 2
    _, _, text = await _first_event(app, f"{stream}?after=2&token={token}", {"Last-Event-ID": "1"})
    assert _events(text)[0]["id"] == 3
    for path in (f"{stream}?token=fc_wrong", f"/v1/conversations/c_nope/stream?token={token}"):
        status, headers, text = await _first_event(app, path)
        assert status == 404 and json.loads(text)["error"]["code"] == "not_found"
    refused: list[tuple[str, dict[str, str]]] = [
        (f"{stream}?token={token}&after=x", {}),
        (f"{stream}?token={token}", {"Last-Event-ID": "99999999999999999999"})]
    for path, extra in refused:
        status, headers, text = await _first_event(app, path, extra)
        assert status == 422 and headers["content-type"].startswith("application/json")
        assert json.loads(text)["error"]["code"] == "invalid_query"


# Regression tests, one per failure the property run (and the probes around it) found.


@pytest.mark.anyio
async def test_a_405_lists_every_method_the_path_takes(api: Api) -> None:
    answer = await api.client.delete("/v1/projects/acme-cloud/revisions", headers=api.admin)
    assert answer.status_code == 405 and answer.headers["allow"] == "GET, HEAD, POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    assert (await api.client.put("/healthz")).headers["allow"] == "GET, HEAD"


@pytest.mark.anyio
async def test_a_query_parameter_given_twice_or_not_of_its_type_is_a_422(api: Api) -> None:
    conversation, token = await _conversation(api)
    bearer = {"Authorization": f"Bearer {token}"}
    events = f"/v1/conversations/{conversation}/events"
    for query in ("after=1&after=2", "after=%C2%B2", "after=-1", "after=2147483648", "after=",
                  f"token={token}&token={token}"):
        answer = await api.client.get(f"{events}?{query}", headers=bearer)
        assert answer.status_code == 422, query
        assert answer.json()["error"]["code"] == "invalid_query"
    assert (await api.client.get(f"{events}?after=2147483647", headers=bearer)).json() == {
        "events": [], "seq": 2147483647}
    assert (await api.client.get(f"{events}?unknown=1", headers=bearer)).status_code == 200
    files = {**example_files(), "knowledge/extra.md": "# More\n"}
    for value in ("banana", "yes", "1"):
        refused = await api.publish(files, dry_run=value)
        assert refused.status_code == 422 and "dry_run" in refused.json()["error"]["message"]
    assert (await api.client.get("/v1/projects/acme-cloud/revisions",
                                 headers=api.admin)).json()["active_revision"] == 1
    planned = await api.publish(files, dry_run="true")
    assert planned.status_code == 200 and planned.json()["dry_run"] is True
    assert (await api.client.get("/v1/projects/acme-cloud/handoffs?status=lost",
                                 headers=api.admin)).status_code == 422


@pytest.mark.anyio
async def test_numbers_beyond_the_storage_integer_are_refused_not_a_500(api: Api) -> None:
    conversation, token = await _conversation(api)
    huge = "9" * 20
    revision = await api.client.get(f"/v1/projects/acme-cloud/revisions/{huge}", headers=api.admin)
    assert revision.status_code == 404 and "revision" in revision.json()["error"]["message"]
    rollback = await api.client.post("/v1/projects/acme-cloud/rollback", json={"to": int(huge)},
                                     headers=api.admin)
    assert rollback.status_code == 422 and rollback.json()["error"]["code"] == "invalid_body"
    events = await api.client.get(f"/v1/conversations/{conversation}/events?after={huge}",
                                  headers={"Authorization": f"Bearer {token}"})
    assert events.status_code == 422


@pytest.mark.anyio
async def test_no_nul_character_reaches_a_text_column(api: Api) -> None:
    """PostgreSQL text cannot hold U+0000: such a name is a 404, such a field a 422, never a
    500 (on SQLite too, so both databases answer alike)."""
    conversation, token = await _conversation(api)
    assert (await api.client.post("/v1/projects/a%00b/visitors")).status_code == 404
    for path in ("/v1/projects/a%00b", "/v1/projects/a%00b/handoffs",
                 "/v1/projects/a%00b/revisions"):
        assert (await api.client.get(path, headers=api.admin)).status_code == 404, path
    bearer = {"Authorization": f"Bearer {token}"}
    missing = await api.client.get("/v1/conversations/c_nope", headers=bearer)
    nul = await api.client.get("/v1/conversations/c%00", headers=bearer)
    assert nul.status_code == 404 and nul.json() == missing.json()
    key = await api.say(conversation, token, {"type": "text", "text": "hello"}, key="k\x00")
    assert key.status_code == 400
    for method, path, body in (
            ("PUT", "/v1/projects/acme-cloud/agents", {"departments": {"sales\x00": 1}}),
            ("POST", "/v1/projects/acme-cloud/revisions",
             {"files": example_files(), "message": "fix\x00"}),
            ("POST", "/v1/projects/acme-cloud/conversations",
             {"flow": "booking", "visitor_id": "v\x00"}),
            ("POST", "/v1/projects/acme-cloud/conversations", {"flow": "book\x00ing"})):
        answer = await api.client.request(method, path, json=body, headers=api.admin)
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_body"
    # JSON columns hold it (escaped): a message may carry one.
    said = await api.say(conversation, token, {"type": "text", "text": "nul \x00 inside"})
    assert said.status_code == 200, said.text


@pytest.mark.anyio
async def test_a_choice_names_a_label_or_a_value(api: Api) -> None:
    conversation, token = await _conversation(api)
    answer = await api.say(conversation, token, {"type": "choice"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_body"
    transcript = (await api.client.get(f"/v1/conversations/{conversation}",
                                       headers={"Authorization": f"Bearer {token}"})).json()
    assert all(entry["from"] != "visitor" for entry in transcript["transcript"])


def test_the_document_lists_what_the_parameter_checks_answer() -> None:
    document = openapi(operations(), __version__)
    revision = document["paths"]["/v1/projects/{project}/revisions/{number}"]["get"]
    number = next(p for p in revision["parameters"] if p["name"] == "number")
    assert number["schema"] == {"type": "integer", "minimum": 0, "maximum": 2_147_483_647}
    for path, item in document["paths"].items():
        for method, op in item.items():
            kinds = {p["in"] for p in op.get("parameters", [])}
            if "path" in kinds:
                assert "404" in op["responses"], (method, path)
            if "query" in kinds:
                assert "422" in op["responses"], (method, path)
