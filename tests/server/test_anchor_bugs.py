"""What the tools we learn from got wrong, kept wrong here never.

- Rasa's REST channel answers 200 with ``[]`` on an internal error: ours answers 500 with a
  JSON error (and a request id), never an empty success.
- Botpress retried webhooks with a NaN limit when an environment variable was unset: an
  unset variable here means the default, a malformed one refuses to start with its name.
- Typebot's HTTP block had no timeout by default: every call here has one (the endpoint's,
  else 10 s), and a slow endpoint is a failed call, not a hung conversation.
(Last-write-wins sessions, racing lock stores and colliding in-memory replies are the
concurrency tests of test_processes.py; the second SSRF path, test_egress.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from flowctl.engine import Engine
from flowctl.engine.fakes import FakePorts, FixedClock, ScriptedAgents, ScriptedAssistant, ScriptedEndpoints
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.loader.project import load_project
from flowctl.server.settings import Settings, SettingsError

from .conftest import Api, example_files

pytestmark = pytest.mark.anyio


async def test_an_internal_error_is_a_500_with_a_json_error_never_an_empty_200(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    assert (await api.publish(example_files())).status_code == 201
    body = (await api.event(await api.visitor(), {"type": "chat_opened"})).json()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine fell over")

    monkeypatch.setattr(Engine, "handle", broken)
    answer = await api.say(body["conversation"]["id"], body["token"],
                           {"type": "text", "text": "hello"})
    assert answer.status_code == 500
    error = answer.json()["error"]
    assert error["code"] == "internal" and answer.headers["x-request-id"] in error["message"]
    assert "fell over" not in answer.text and "Traceback" not in answer.text


@pytest.mark.parametrize(("env", "problem"), [
    ({}, None),
    ({"FLOWCTL_INLINE_WAIT": ""}, None),  # empty: the default
    ({"FLOWCTL_INLINE_WAIT": "nan"}, "FLOWCTL_INLINE_WAIT"),
    ({"FLOWCTL_INLINE_WAIT": "soon"}, "FLOWCTL_INLINE_WAIT"),
    ({"FLOWCTL_PORT": "80a"}, "FLOWCTL_PORT"),
    ({"FLOWCTL_CONVERSATION_TTL": "-1"}, "TTL"),
    ({"FLOWCTL_WORKERS": "4"}, "PostgreSQL"),  # several processes on SQLite
    ({"FLOWCTL_ADMIN_TOKEN": "short"}, "16"),
])
def test_unset_means_default_and_malformed_refuses_with_its_name(
        env: dict[str, str], problem: str | None) -> None:
    if problem is None:
        settings = Settings.load(env=env)
        assert settings.inline_wait == 2.0 and settings.port == 8787
        return
    with pytest.raises(SettingsError, match=problem):
        Settings.load(env=env)


def test_every_call_has_a_timeout(tmp_path: Path) -> None:
    (tmp_path / "flowctl.yaml").write_text(
        "project: p\nendpoints:\n  crm: {url: 'https://crm.test/x'}\n")
    (tmp_path / "a.flow.yaml").write_text(
        "flow: a\nblocks:\n  - {id: push, type: data_update, endpoint: crm, body: {a: 1}}\n"
        "  - {id: done, type: end}\n")
    project, _ = load_project([tmp_path])
    fakes = FakePorts(FixedClock(__import__("datetime").datetime(2026, 1, 1)),
                      ScriptedEndpoints(), ScriptedAssistant(), ScriptedAgents(), KnowledgeBase([]))
    step = Engine(project).start("a", {}, fakes.ports())
    assert [call.timeout for call in step.calls] == [10.0]
