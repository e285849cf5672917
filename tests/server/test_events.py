"""Events decide which flow starts, with the context the server builds: ``chat`` of an event
is the chat it happened in (the visitor's last conversation), ``once`` policies come from the
stored start history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from flowctl.server.app import create_app

from .conftest import ADMIN, settings_for

pytestmark = pytest.mark.anyio

FILES = {
    "flowctl.yaml": "project: shop\ntimezone: UTC\n",
    "chat.flow.yaml": """\
flow: chat
start: {on: [chat_opened]}
blocks:
  - {id: one, type: question, text: First?, save: a}
  - {id: two, type: question, text: Second?, save: b}
  - {id: three, type: question, text: Third?, save: c}
  - {id: bye, type: end, text: Thanks}
""",
    "survey.flow.yaml": """\
flow: survey
start:
  on: [conversation_closed]
  when: "chat.messages >= 3"
blocks:
  - {id: rate, type: end, text: "Rate us!"}
""",
    "promo.flow.yaml": """\
flow: promo
start: {on: [page_view], once: per_visitor}
blocks:
  - {id: hi, type: end, text: "New: spring sale"}
""",
}


async def run(tmp_path: Path, body: Any) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'r.db'}", tmp_path), workers=False)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/v1/projects/shop/revisions", json={"files": FILES},
                                   headers={"Authorization": f"Bearer {ADMIN}"})
        assert answer.status_code == 201, answer.text
        await body(client)


def event_sender(client: httpx.AsyncClient, token: str) -> Any:
    async def send(kind: str) -> dict[str, Any]:
        answer = await client.post("/v1/projects/shop/events", json={"event": {"type": kind}},
                                   headers={"Authorization": f"Bearer {token}"})
        return dict(answer.json())
    return send


async def test_a_closed_chat_with_enough_messages_starts_the_survey(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        short = (await client.post("/v1/projects/shop/visitors")).json()
        long = (await client.post("/v1/projects/shop/visitors")).json()
        for visitor, answers in ((short, 1), (long, 3)):
            event = event_sender(client, visitor["visitor_token"])
            started = await event("chat_opened")
            for number in range(answers):
                sent = await client.post(
                    f"/v1/conversations/{started['conversation']['id']}/messages",
                    json={"type": "text", "text": f"answer {number}"},
                    headers={"Authorization": f"Bearer {started['token']}",
                             "Idempotency-Key": str(number)})
                assert sent.status_code == 200
            if answers < 3:  # still open: an event starts nothing else
                assert (await event("conversation_closed"))["open_conversation"]
                continue
            survey = await event("conversation_closed")
            assert survey["started"] and survey["conversation"]["flow"] == "survey"
            assert survey["messages"][0]["text"] == "Rate us!"

    await run(tmp_path, body)


async def test_once_per_visitor_is_kept_across_conversations(tmp_path: Path) -> None:
    async def body(client: httpx.AsyncClient) -> None:
        visitor = (await client.post("/v1/projects/shop/visitors")).json()
        event = event_sender(client, visitor["visitor_token"])
        first = await event("page_view")
        assert first["started"] and first["conversation"]["status"] == "ended"
        assert (await event("page_view")) == {"started": False}
        other = (await client.post("/v1/projects/shop/visitors")).json()
        assert (await event_sender(client, other["visitor_token"])("page_view"))["started"]

    await run(tmp_path, body)
