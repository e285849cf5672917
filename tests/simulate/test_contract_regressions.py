"""The four defects the engine-contract review reproduced, each kept fixed.

Each came from the same idea written twice; the test drives the tool the way the user did.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from flowctl.chat.options import ChatOptions
from flowctl.chat.session import ChatSession
from flowctl.cli.app import app
from flowctl.loader.project import load_project
from flowctl.simulate.explore import Explorer

from .helpers import only, simulate, write_project

ASK = """\
flow: ask
start: {on: [chat_opened]}
blocks:
  - id: ask
    type: question
    text: What do you need?
    save: need
  - id: bye
    type: end
"""


def test_explore_with_an_unknown_time_zone_runs_like_simulate(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"ask": ASK}, {"ask": """\
        flow: ask
        visitors:
          - name: asks
            steps: [{say: help}]
            expect: {outcome: completed}
        """}, config="project: mars\ntimezone: Mars/Olympus\n")
    runner = CliRunner()
    plain = runner.invoke(app, ["simulate", str(root)])
    explored = runner.invoke(app, ["simulate", str(root), "--explore"])
    assert plain.exit_code == 0, plain.output
    assert explored.exception is None or isinstance(explored.exception, SystemExit), explored.output
    assert "Traceback" not in explored.output and "ZoneInfoNotFoundError" not in explored.output
    assert "ask: " in explored.output and "edges" in explored.output


def test_chat_checks_form_fields_with_the_visitors_region(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"contact": """\
        flow: contact
        start: {on: [chat_opened]}
        blocks:
          - id: form
            type: form
            fields:
              - {name: phone, type: phone, required: true, profile: phone}
          - id: done
            type: end
            text: "We will call {{ visitor.phone }}"
        """}, {})
    project, _ = load_project([root])
    chat = ChatSession(project, ChatOptions(flow="contact", visitor={"country": "DE"}))
    chat.start()
    reply = chat.send("030 901820")
    shown = "\n".join(str(line) for line in reply.lines)
    assert "please try again" not in shown
    assert "We will call +4930901820" in shown and reply.ended


def test_explore_follows_a_goto_to_a_flow_that_escalates_as_lint_does(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"ask": """\
        flow: ask
        start: {on: [chat_opened]}
        blocks:
          - id: ask
            type: question
            text: What do you need?
            save: need
          - id: to_human
            type: goto
            flow: handoff
        """, "handoff": """\
        flow: handoff
        blocks:
          - id: agent
            type: escalate
            department: support
        """}, {})
    project, _ = load_project([root])
    from flowctl.lint.runner import lint_project

    lint = lint_project(project, list(project.sources))
    assert not [p for p in lint.problems if p.code == "X002"]
    result = Explorer(project, project.flow("ask")).run()  # type: ignore[arg-type]
    assert result.violations == [], [v.message for v in result.violations]


def test_expect_started_true_with_flow_fails_when_the_start_condition_is_false(
        tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"pricing": textwrap.dedent("""\
        flow: pricing
        start:
          on: [page_view]
          when:
            all:
              - "page.path == '/pricing'"
              - "visitor.returning"
        blocks:
          - id: hi
            type: end
            text: Hi
        """)}, {"pricing": """\
        flow: pricing
        visitors:
          - name: first visit to pricing
            context: {page: {url: "https://shop.test/pricing"}, visitor: {returning: false}}
            expect: {started: true}
        """})
    _, result = simulate(root)
    visitor = only(result)
    assert not visitor.passed
    message = visitor.failures[0].message
    assert "would not start" in message and "`visitor.returning` is false" in message
    assert "line 7" in message  # where the clause that was false is written
    assert visitor.failures[0].line == 5  # the `expect` that was not met
