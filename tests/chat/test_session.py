"""``ChatSession`` driven directly, on the example project."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from flowctl.chat.options import (
    ChatOptions,
    parse_agents,
    parse_endpoint,
    parse_event,
    parse_now,
    parse_visitor,
)
from flowctl.chat.render import Line, plain, render_message
from flowctl.chat.session import ChatSession
from flowctl.engine import BotMessage, Response
from flowctl.errors import ConfigError
from flowctl.loader.project import load_project

EXAMPLE = Path(__file__).resolve().parents[2] / "flows"
BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def project():  # type: ignore[no-untyped-def]
    loaded, _ = load_project([EXAMPLE])
    return loaded


def session(project, **options) -> ChatSession:  # type: ignore[no-untyped-def]
    options.setdefault("flow", "lead-qualification")
    options.setdefault("now", TUESDAY_10)
    return ChatSession(project, ChatOptions(**options))


def text(lines: list[Line]) -> str:
    return "\n".join(plain(line) for line in lines)


def chat(chat_session: ChatSession, *typed: str) -> str:
    out = [text(chat_session.start())]
    for line in typed:
        out.append(text(chat_session.send(line).lines))
    return "\n".join(out)


def test_start_shows_greeting_question_and_numbered_choices(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, visitor={"name": "Ada"})
    shown = text(s.start())
    assert "bot> Hi Ada! Comparing plans?" in shown
    assert "[greet]" in shown and "[ask_size]" in shown
    assert "  1) 1-10  2) 11-50  3) 51-200  4) 200+" in shown
    assert s.prompt == "you> "
    assert not s.ended


def test_choices_by_number_and_by_text(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    reply = s.send("4")
    assert "→ 200+" in text(reply.lines)
    assert not reply.ended
    s.send("Compliance & GDPR")
    assert s.state is not None
    assert s.state.variables == {"company_size": "200+", "pain_point": "compliance"}


def test_number_out_of_range_is_sent_as_text(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    shown = text(s.send("9").lines)
    assert "ask_size" in shown  # asked again
    assert s.state is not None and s.state.attempts == 1


def test_form_field_by_field_then_endpoint_call_and_handoff(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    s.send("4")
    reply = s.send("1")
    assert "Where should we send your tailored plan?" in text(reply.lines)
    assert s.prompt == "  Your name (text, required): "
    assert "required" in text(s.send("").lines)  # asked again
    s.send("Ada")
    assert s.prompt.startswith("  Work email (email, required)")
    assert "not a valid email" in text(s.send("not-an-email").lines)
    s.send("ada@example.com")
    reply = s.send("Acme")
    shown = text(reply.lines)
    assert 'call> POST crm {"email": "ada@example.com", "name": "Ada", "company": "Acme"' in shown
    assert "→ 200 {}" in shown
    assert shown.index("call> POST crm") < shown.index("A sales engineer is online")
    assert "  1) Yes, talk now  2) Email me instead" in shown
    reply = s.send("Yes, talk now")
    shown = text(reply.lines)
    assert reply.ended and s.ended
    assert "— handed to sales (high)" in shown
    assert "flow ended: outcome escalated · department sales · tags lead, qualified-lead, size-200+" in shown
    assert s.state is not None and s.state.visitor["email"] == "ada@example.com"


def test_failing_endpoint_shows_every_attempt_and_takes_on_error(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, failing={"crm"})
    shown = chat(s, "1", "1", "Ada", "ada@example.com", "Acme")
    assert shown.count("call> POST crm") == 4  # 1 + 3 retries
    assert "call> POST crm → 500 (attempt 4)  [push_crm]" in shown  # retries without the body
    assert "('push_crm' failed → crm_failed)" in shown
    assert s.state is not None and "crm-sync-failed" in s.state.tags


def test_endpoint_response_is_shown(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, endpoints={"crm": Response(201, {"id": 42})})
    shown = chat(s, "1", "1", "Ada", "ada@example.com", "Acme")
    assert '→ 201 {"id": 42}' in shown


def test_wait_fires_the_form_timeout(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    s.send("1")
    s.send("1")
    assert s.form is not None
    shown = text(s.send("/wait 300").lines)
    assert "300 s later" in shown and "times out after 600 s, 300 s to go" in shown
    reply = s.send("/wait 300")
    shown = text(reply.lines)
    assert reply.ended
    assert "No problem, take your time." in shown
    assert shown.index("('contact' timed out → no_contact)") < shown.index("No problem")
    assert "outcome no_contact" in shown
    assert s.form is None


def test_wait_without_timeout_says_nothing_happens(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    shown = text(s.send("/wait 60").lines)
    assert "nothing happens: 'ask_size' has no timeout" in shown


def test_agents_zero_takes_when_unavailable(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    chat(s, "4", "1", "Ada", "ada@example.com", "Acme")
    assert "sales=0" in text(s.send("/agents sales=0").lines)
    reply = s.send("1")
    shown = text(reply.lines)
    assert "handed to" not in shown
    assert "(no agent online for 'to_sales' → sales_offline)" in shown
    assert "Our sales team will email ada@example.com" in shown
    assert reply.ended
    assert s.state is not None and s.state.outcome == "lead_captured"
    assert s.snapshot()["path"][-3:] == ["to_sales", "sales_offline", "end_followup"]


def test_agents_command_errors(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    assert "unknown department 'marketing'" in text(s.send("/agents marketing=1").lines)
    assert "whole number" in text(s.send("/agents sales=many").lines)


def test_state_is_json(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    s.send("2")
    data = json.loads(text(s.send("/state").lines))
    assert data["variables"] == {"company_size": "11-50"}
    assert data["tags"] == []
    assert data["path"] == ["greet", "ask_size", "ask_pain"]


def test_quit_and_unknown_command(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project)
    s.start()
    assert "unknown command /dance" in text(s.send("/dance").lines)
    reply = s.send("/quit")
    assert reply.ended and s.exit_code == 0
    assert "left the chat at block 'ask_size'" in text(reply.lines)


def test_select_flow_picks_lead_qualification(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, flow=None, page={"url": "https://acme.test/pricing"},
                visitor={"time_on_page": 45})
    shown = text(s.start())
    assert shown.startswith("lead-qualification starts on page_view")
    assert s.flow_id == "lead-qualification"


def test_no_flow_starts_lists_reasons(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, flow=None, now=datetime(2026, 11, 24, 20, 0, tzinfo=BERLIN))
    shown = text(s.start())
    assert s.ended and s.exit_code == 1
    assert "No flow starts on page_view:" in shown
    assert "lead-qualification  outside schedule 'business_hours'" in shown
    assert "feedback" in shown and "does not start on page_view" in shown


def test_assistant_and_articles(project) -> None:  # type: ignore[no-untyped-def]
    s = session(project, flow="support-triage", event={"type": "chat_opened"})
    shown = chat(s, "I cannot log in after a password reset", "2", "no")
    assert "bot> Articles that may help:  [account_articles]" in shown
    assert "  1. Reset your password — https://acme.test/help/account/reset-password" in shown
    assert "  (yes or no)" in shown
    assert "an assistant answers from the knowledge base" in shown
    reply = s.send("I want a human")
    assert reply.ended
    assert "— handed to support (normal)" in text(reply.lines)


def test_unknown_flow_and_department_raise(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="unknown flow 'nope'"):
        session(project, flow="nope")
    with pytest.raises(ConfigError, match="unknown department"):
        session(project, agents={"marketing": 1})


def test_render_buttons_image_and_handoff() -> None:
    lines = render_message(BotMessage.from_json({"type": "buttons", "block": "b", "text": "Try it",
                            "buttons": [{"label": "Start", "url": "https://x.test"}]}))
    assert [plain(line) for line in lines] == ["bot> Try it  [b]", "  [Start](https://x.test)"]
    lines = render_message(BotMessage.from_json({"type": "image", "block": "i", "image": {"url": "https://x.test/a.png",
                                                                      "alt": "A cat"}}))
    assert [plain(line) for line in lines] == ["  [image: A cat](https://x.test/a.png)  [i]"]
    lines = render_message(BotMessage.from_json(
        {"type": "handoff", "block": "h", "department": None, "priority": "urgent"}))
    assert [plain(line) for line in lines] == ["— handed to any department (urgent)  [h]"]
    lines = render_message(BotMessage.from_json({"type": "text", "block": "m", "text": "one\n\ntwo"}))
    assert plain(lines[0]) == "bot> one  [m]\n\n     two"


def test_option_parsers() -> None:
    assert parse_visitor(["name=Ada", "returning=true", "visits=3", "attributes.plan=pro",
                          "attributes.seats=2.5", "tags=[\"vip\"]"]) == {
        "name": "Ada", "returning": True, "visits": 3, "attributes": {"plan": "pro", "seats": 2.5},
        "tags": ["vip"]}
    assert parse_event("custom:purchase_completed") == {"type": "custom", "name": "purchase_completed"}
    assert parse_agents(["sales=0,support=2"], {"sales", "support"}) == {"sales": 0, "support": 2}
    assert parse_endpoint(['crm=201:{"id": 42}', "slots=500"], {"crm", "slots"}) == {
        "crm": Response(201, {"id": 42}), "slots": Response(500, {})}
    assert parse_now("2026-11-24T10:00", BERLIN) == TUESDAY_10
    for bad in (lambda: parse_visitor(["name"]), lambda: parse_event("page_viewed"),
                lambda: parse_endpoint(["crm=ok"], {"crm"}), lambda: parse_endpoint(["x=200"], {"crm"}),
                lambda: parse_endpoint(["crm=200:{bad"], {"crm"}), lambda: parse_now("soon", BERLIN)):
        with pytest.raises(ConfigError):
            bad()
