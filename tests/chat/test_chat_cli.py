"""``flowctl chat`` through the command line, lines fed on stdin as a user would pipe them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from flowctl.cli.app import app

EXAMPLE = Path(__file__).resolve().parents[2] / "flows"
NOW = ["--now", "2026-11-24T10:00"]


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["chat", "--project", str(EXAMPLE), *NOW, *args], input=input)


def test_lead_qualification_end_to_end() -> None:
    result = run("lead-qualification", "--visitor", "name=Ada",
                 input="4\nFaster deploys\nAda\nada@example.com\nAcme\n1\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "bot> Hi Ada! Comparing plans?" in out
    assert "you> 4\n     → 200+" in out
    assert "you> Faster deploys" in out
    assert "  Work email (email, required): ada@example.com" in out
    assert 'call> POST crm {"email": "ada@example.com"' in out
    assert "— handed to sales (high)" in out
    assert out.rstrip().endswith("flow ended: outcome escalated · department sales · "
                                 "tags lead, qualified-lead, size-200+")
    assert "\x1b[" not in out  # no colour when stdout is not a terminal


def test_wait_triggers_the_form_timeout() -> None:
    result = run("lead-qualification", input="1\n1\n/wait 600\n")
    assert result.exit_code == 0, result.output
    assert "… 600 s later" in result.output
    assert "outcome no_contact" in result.output


def test_agents_zero_leads_to_when_unavailable() -> None:
    result = run("lead-qualification",
                 input="4\n1\nAda\nada@example.com\nAcme\n/agents sales=0\n1\n")
    assert result.exit_code == 0, result.output
    assert "handed to" not in result.output
    assert "Our sales team will email ada@example.com" in result.output
    assert "outcome lead_captured" in result.output


def test_agents_option_and_fail_option() -> None:
    result = run("lead-qualification", "--agents", "sales=0", "--fail", "crm",
                 input="4\n1\nAda\nada@example.com\nAcme\n")
    assert result.exit_code == 0, result.output
    assert "→ 500 (attempt 4)" in result.output
    assert "crm-sync-failed" in result.output
    assert "outcome lead_captured" in result.output  # no sales engineer online: no offer


def test_state_command_prints_json() -> None:
    result = run("lead-qualification", input="2\n/state\n/quit\n")
    assert result.exit_code == 0, result.output
    start = result.output.index("you> /state\n") + len("you> /state\n")
    end = result.output.index("\n}", start) + 2
    data = json.loads(result.output[start:end])
    assert data["variables"] == {"company_size": "11-50"}
    assert data["path"] == ["greet", "ask_size", "ask_pain"]


def test_end_of_input_quits_cleanly() -> None:
    result = run("lead-qualification", input="2\n")
    assert result.exit_code == 0, result.output
    assert "left the chat at block 'ask_pain'" in result.output


def test_script_file(tmp_path: Path) -> None:
    script = tmp_path / "visitor.txt"
    script.write_text("1\n1\nAda\nada@example.com\nAcme\n", encoding="utf-8")
    result = run("lead-qualification", "--script", str(script))
    assert result.exit_code == 0, result.output
    assert "outcome self_serve" in result.output
    assert "[Start free trial](https://acme.test/signup?plan=pro)" in result.output


def test_start_conditions_choose_the_flow() -> None:
    result = run("--page", "https://acme.test/pricing", "--visitor", "time_on_page=45", input="")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("lead-qualification starts on page_view")


def test_no_flow_starts_exit_1_with_reasons() -> None:
    result = run("--event", "custom:nothing_listens", input="")
    assert result.exit_code == 1
    assert "No flow starts on custom:nothing_listens:" in result.output
    for flow in ("booking", "feedback", "lead-qualification", "onboarding", "support-triage"):
        assert flow in result.output


def test_usage_errors_exit_2_without_traceback() -> None:
    cases = [
        (["nope"], "unknown flow 'nope'"),
        (["--visitor", "name"], "--visitor expects KEY=VALUE"),
        (["--agents", "marketing=1"], "unknown department 'marketing'"),
        (["--endpoint", "crm=fine"], "3-digit HTTP code"),
        (["--fail", "nowhere"], "unknown endpoint 'nowhere'"),
        (["--event", "page_viewed"], "unknown event 'page_viewed'"),
        (["--device", "watch"], "unknown device type 'watch'"),
        (["lead-qualification", "--script", "/no/such/file"], "no such file"),
    ]
    for args, message in cases:
        result = run(*args, input="")
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_help_has_examples() -> None:
    result = CliRunner().invoke(app, ["chat", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "flowctl chat lead-qualification" in result.output
