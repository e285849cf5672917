"""Inputs that crashed flowctl with a traceback (issue 10, item 9; ../shared/repro/01, 02, 14):
each is now a located problem or a clear message, with exit code 1 or 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app

EXAMPLE = Path(__file__).resolve().parents[2] / "flows"
PROJECT = "project: m\ntimezone: Europe/Berlin\n"
TYPE_MAPPING = "flow: m\nstart: {on: chat_opened}\nblocks:\n  - {id: a, type: {x: 1}}\n"
TYPE_LIST = "flow: m\nstart: {on: chat_opened}\nblocks:\n  - {id: a, type: [end]}\n"
ANY_EMPTY = "flow: m\nstart: {on: chat_opened, when: {any: []}}\nblocks:\n  - {id: a, type: end}\n"
BAD_SEVERITY = PROJECT + "lint:\n  rules: {G002: fatal, G003: 3}\n"
CLEAN = "flow: m\nstart: {on: chat_opened}\nblocks:\n  - {id: a, type: end}\n"

# (name, flowctl.yaml, m.flow.yaml, command, exit code, a line the output must hold)
CASES = [
    ("type-mapping lint", PROJECT, TYPE_MAPPING, "lint", 1,
     'm.flow.yaml:4:19: error[S003]: type: {"x": 1} is not a block type in block \'a\''),
    ("type-list lint", PROJECT, TYPE_LIST, "lint", 1,
     'm.flow.yaml:4:19: error[S003]: type: ["end"] is not a block type in block \'a\''),
    ("type-mapping simulate", PROJECT, TYPE_MAPPING, "simulate", 2,
     'm.flow.yaml:4:19: error[S003]: type: {"x": 1} is not a block type'),
    ("type-mapping render", PROJECT, TYPE_MAPPING, "render m.flow.yaml -o x.dot", 2,
     'm.flow.yaml:4:19: error[S003]: type: {"x": 1} is not a block type'),
    ("type-mapping diff", PROJECT, TYPE_MAPPING, "diff m.flow.yaml m.flow.yaml", 0,
     'm.flow.yaml:4:19: warning: type: {"x": 1} is not a block type'),
    ("when-any-empty lint", PROJECT, ANY_EMPTY, "lint", 1,
     "m.flow.yaml:2:38: error[S003]: any: [] has less than 1 item"),
    ("bad-severity lint", BAD_SEVERITY, CLEAN, "lint", 1,
     "flowctl.yaml:4:17: error[S003]: G002: 'fatal' is not a severity"),
    ("bad-severity number", BAD_SEVERITY, CLEAN, "lint", 1,
     "flowctl.yaml:4:30: error[S003]: G003: 3 is not a severity"),
]


@pytest.mark.parametrize(("config", "flow", "command", "code", "line"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_repro_is_located_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          config: str, flow: str, command: str, code: int,
                                          line: str) -> None:
    (tmp_path / "flowctl.yaml").write_text(config)
    (tmp_path / "m.flow.yaml").write_text(flow)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, [*command.split(), "--no-color"]
                                if command in ("lint",) else command.split())
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == code, result.output
    assert line in result.output


@pytest.mark.parametrize("seconds", ["inf", "nan", "1e30", "-1", "1e400"])
def test_chat_wait_out_of_range_is_a_message(seconds: str) -> None:
    result = CliRunner().invoke(app, ["chat", "--project", str(EXAMPLE), "--now",
                                      "2026-11-24T10:00", "lead-qualification"],
                                input=f"/wait {seconds}\n/wait 60\n")
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert f"you> /wait {seconds}\n/wait needs a number of seconds from 0 to 315360000" \
        in result.output
    assert "… 60 s later" in result.output  # the session goes on
