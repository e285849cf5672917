"""Every example visitors file, driven through the engine's public API the way the server
will drive it: the conversation stored as JSON and read back between every step, the ports
passed with every call, one compiled engine for all visitors.  The transcripts, outcomes,
paths and tags must be exactly those of ``flowctl simulate``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.engine import Conversation, Engine
from flowctl.loader.project import load_project
from flowctl.simulate.report import to_json
from flowctl.simulate.runner import run_project

EXAMPLE = Path(__file__).resolve().parents[2] / "flows"


def test_example_visitors_through_stored_json_match_flowctl_simulate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    stored: list[str] = []

    def through_storage(state: Conversation) -> Conversation:
        text = json.dumps(state.to_json())  # what the server writes in its transaction
        stored.append(text)
        return Conversation.from_json(json.loads(text))

    compiled: list[Engine] = []
    original = Engine.__init__

    def counting(self: Engine, *args: Any, **kwargs: Any) -> None:
        compiled.append(self)
        original(self, *args, **kwargs)

    calls: list[tuple[str, bool]] = []
    for name in ("start", "handle", "select"):
        method = getattr(Engine, name)

        def spy(self: Engine, *args: Any, _method: Any = method, _name: str = name,
                **kwargs: Any) -> Any:
            given = [*args, *kwargs.values()]
            calls.append((_name, any(type(a).__name__ == "Ports" for a in given)))
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(Engine, name, spy)
    monkeypatch.setattr(Engine, "__init__", counting)

    project, _ = load_project([EXAMPLE])
    result = run_project(project, store=through_storage)

    assert len(compiled) == 1  # one engine for every visitor of every file
    assert len(result.visitors) >= 50 and result.failed == 0, [
        (v.name, [f.message for f in v.failures]) for v in result.visitors if not v.passed]
    assert len(stored) > len(result.visitors)  # stored after every step, not once
    assert {name for name, _ in calls} == {"start", "handle", "select"}
    assert all(with_ports for _, with_ports in calls)

    cli = CliRunner().invoke(app, ["simulate", str(EXAMPLE), "--format", "json"])
    assert cli.exit_code == 0, cli.output
    expected = json.loads(cli.output)["visitors"]
    actual = to_json(result, None)["visitors"]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got == want, got["name"]
    assert any(v.state is not None and v.state.tags for v in result.visitors)
    plain = run_project(project)
    assert [v.state.tags if v.state else None for v in plain.visitors] == \
        [v.state.tags if v.state else None for v in result.visitors]
