"""Visitor identity is trusted only when signed with the project's identity secret."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from flowctl.server.app import create_app
from flowctl.server.auth import identity_signature

from .conftest import ADMIN, settings_for

pytestmark = pytest.mark.anyio

CONFIG = "project: shop\ntimezone: UTC\nidentity_secret: ${SHOP_IDENTITY}\n"
FLOW = """\
flow: members
start:
  on: [page_view]
  when: "visitor.identified and visitor.attributes.plan == 'pro'"
blocks:
  - {id: hi, type: end, text: "Hi {{ visitor.id }}"}
"""


@pytest.mark.parametrize(("secret_env", "signer", "starts"), [
    ({"SHOP_IDENTITY": "s3cret-s3cret"}, "s3cret-s3cret", True),  # flowctl.yaml's ${NAME}
    ({"FLOWCTL_IDENTITY_SECRET_SHOP": "other-secret"}, "other-secret", True),  # per project
    ({"SHOP_IDENTITY": "s3cret-s3cret"}, "a-guess", False),  # a wrong signature
    ({}, "s3cret-s3cret", False),  # no secret configured: nothing is trusted
])
async def test_identity_needs_a_valid_signature(tmp_path: Path, secret_env: dict[str, str],
                                                signer: str, starts: bool) -> None:
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'r.db'}", tmp_path), env=secret_env,
                     workers=False)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        published = await client.post(
            "/v1/projects/shop/revisions", headers={"Authorization": f"Bearer {ADMIN}"},
            json={"files": {"flowctl.yaml": CONFIG, "members.flow.yaml": FLOW}})
        assert published.status_code == 201, published.text
        visitor = (await client.post("/v1/projects/shop/visitors")).json()
        attributes = {"plan": "pro"}
        answer = await client.post(
            "/v1/projects/shop/events",
            headers={"Authorization": f"Bearer {visitor['visitor_token']}"},
            json={"event": {"type": "page_view"},
                  "context": {"visitor": {"identified": True, "attributes": attributes}},
                  "identity": {"id": "u_42", "attributes": attributes,
                               "signature": identity_signature(signer, "u_42", attributes)}})
        assert answer.json()["started"] is starts, answer.text
        if starts:
            assert answer.json()["messages"][0]["text"] == "Hi u_42"
