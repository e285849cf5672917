"""Publishing and conversing through the real app (httpx.ASGITransport), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from .conftest import Api, example_files

pytestmark = pytest.mark.anyio


async def test_publish_then_republish_is_a_noop_and_dry_run_stores_nothing(api: Api) -> None:
    files = example_files()
    planned = await api.publish(files, dry_run="true")
    assert planned.status_code == 200 and planned.json()["dry_run"] is True
    assert (await api.client.get("/v1/projects/acme-cloud", headers=api.admin)).status_code == 404
    first = await api.publish(files)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["revision"] == 1 and body["hash"].startswith("sha256:")
    assert set(body["changes"]["added"]) >= {"booking", "support-triage"}
    again = await api.publish(files)
    assert again.status_code == 200 and again.json()["revision"] == 1
    project = (await api.client.get("/v1/projects/acme-cloud", headers=api.admin)).json()
    assert project["active_revision"] == 1 and "booking" in project["flows"]


async def test_a_bundle_that_does_not_lint_is_refused_with_the_problems(api: Api) -> None:
    files = example_files()
    files["booking.flow.yaml"] = files["booking.flow.yaml"].replace("type: end", "type: ending", 1)
    answer = await api.publish(files)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "lint_failed"
    problem = error["lint"]["problems"][0]
    assert problem["file"] == "booking.flow.yaml" and problem["line"] > 1 and problem["code"]


async def test_admin_routes_need_the_admin_token(api: Api) -> None:
    answer = await api.client.get("/v1/projects/acme-cloud")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
    wrong = await api.client.get("/v1/projects/acme-cloud",
                                 headers={"Authorization": "Bearer nope-nope-nope-nope"})
    assert wrong.status_code == 401


async def test_a_conversation_from_event_to_end(api: Api) -> None:
    assert (await api.publish(example_files())).status_code == 201
    visitor = await api.visitor()
    started = await api.event(visitor, {"type": "chat_opened"})
    assert started.status_code == 201, started.text
    body = started.json()
    conversation, token = body["conversation"], body["token"]
    assert conversation["flow"] == "support-triage" and conversation["status"] == "waiting"
    assert body["messages"] and body["seq"] >= len(body["messages"])
    again = await api.event(visitor, {"type": "chat_opened"})
    assert again.json() == {"started": False, "open_conversation": conversation["id"]}
    assert conversation["input"]["kind"] == "answer"
    turn = await api.say(conversation["id"], token, {"type": "text", "text": "I cannot log in"})
    assert turn.status_code == 200, turn.text
    assert turn.json()["seq"] > body["seq"]
    full = (await api.client.get(f"/v1/conversations/{conversation['id']}",
                                 headers={"Authorization": f"Bearer {token}"})).json()
    senders = [entry["from"] for entry in full["transcript"]]
    assert "visitor" in senders and senders[0] == "bot"
    assert [e["seq"] for e in full["transcript"]] == sorted(e["seq"] for e in full["transcript"])


async def test_wrong_or_missing_conversation_token_is_404(api: Api) -> None:
    assert (await api.publish(example_files())).status_code == 201
    body = (await api.event(await api.visitor(), {"type": "chat_opened"})).json()
    conversation = body["conversation"]["id"]
    for headers in ({}, {"Authorization": "Bearer fc_wrong"}):
        answer = await api.client.get(f"/v1/conversations/{conversation}", headers=headers)
        assert answer.status_code == 404
        missing = await api.client.get("/v1/conversations/c_nope", headers=headers)
        assert missing.status_code == 404 and missing.json() == answer.json()


async def test_idempotency_key_replays_and_conflicts(api: Api) -> None:
    assert (await api.publish(example_files())).status_code == 201
    body = (await api.event(await api.visitor(), {"type": "chat_opened"})).json()
    conversation, token = body["conversation"], body["token"]
    message = {"type": "text", "text": "I cannot log in"}
    first = await api.say(conversation["id"], token, message, key="k1")
    replay = await api.say(conversation["id"], token, message, key="k1")
    assert replay.status_code == first.status_code == 200 and replay.json() == first.json()
    other = await api.say(conversation["id"], token, {"type": "text", "text": "y"}, key="k1")
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    transcript = (await api.client.get(f"/v1/conversations/{conversation['id']}",
                                       headers={"Authorization": f"Bearer {token}"})).json()
    visitor_lines = [e for e in transcript["transcript"] if e["from"] == "visitor"]
    assert len(visitor_lines) == 1  # applied once


async def test_unknown_fields_are_a_422(api: Api) -> None:
    answer = await api.client.post("/v1/projects/acme-cloud/revisions", headers=api.admin,
                                   json={"files": {"flowctl.yaml": "project: x"}, "extra": 1})
    assert answer.status_code == 422 and "extra" in answer.json()["error"]["message"]


async def test_health_ready_metrics_openapi(api: Api) -> None:
    assert (await api.client.get("/healthz")).json() == {"status": "ok"}
    ready = await api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    metrics = await api.client.get("/metrics")
    assert "flowctl_http_requests_total" in metrics.text
    document = (await api.client.get("/openapi.json")).json()
    assert "/v1/conversations/{id}/messages" in document["paths"]
