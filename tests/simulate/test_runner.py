"""The simulator's semantics, on small projects written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

from .helpers import only, simulate, write_project

SHOP = """\
flow: shop
start:
  on: page_view
  when: page.path == '/pricing'
blocks:
  - id: greet
    type: message
    text: "Hi {{ visitor.name or 'there' }}! Two questions?"
  - id: links
    type: message
    text: Our plans
    buttons: [{label: Pricing, url: "https://acme.test/pricing"}]
  - id: ask_size
    type: question
    text: How many people?
    choices: [1-10, {label: 200+, value: big, next: contact}]
    save: size
  - id: small
    type: end
    outcome: small
    text: Self-serve it is.
  - id: contact
    type: form
    fields:
      - {name: email, type: email, required: true, profile: email}
    save: lead
    timeout: 600
    on_timeout: quiet
  - id: push
    type: data_update
    endpoint: crm
    body: {email: "{{ lead.email }}", size: "{{ size }}"}
  - id: route
    type: branch
    cases:
      - when: agents.departments.sales > 0
        next: to_sales
    default: later
  - id: to_sales
    type: escalate
    department: sales
    text: Connecting you.
  - id: later
    type: end
    outcome: later
  - id: quiet
    type: goto
    flow: followup
"""

FOLLOWUP = """\
flow: followup
blocks:
  - id: bye
    type: end
    outcome: followed_up
    text: We'll write to you.
"""


def shop(tmp_path: Path, visitors: str) -> Path:
    return write_project(tmp_path / "p", {"shop": SHOP, "followup": FOLLOWUP},
                         {"shop": visitors})


def test_full_conversation_passes(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        defaults:
          now: 2026-11-24T10:00:00+01:00
          agents: {sales: 1}
          context: {page: {url: "https://acme.test/pricing"}}
        visitors:
          - name: big company to sales
            context: {visitor: {name: Ada}}
            mocks:
              endpoints:
                crm: [{status: 500}, {status: 200, json: {id: 7}}]
            steps:
              - bot: "Hi Ada*"
              - bot: {text: Our plans, buttons: [Pricing], type: buttons}
              - bot: {text: "/people/", choices: [1-10, 200+]}
              - click: 200+
              - bot: {type: form}
              - form: {email: ada@example.com}
              - bot: Connecting you.
            expect:
              started: true
              flow: shop
              outcome: escalated
              department: sales
              variables: {size: big, lead: {email: ada@example.com}}
              visitor: {name: Ada, email: ada@example.com}
              requests:
                - {endpoint: crm, body: {email: ada@example.com}}
              path: [greet, links, ask_size, contact, push, route, to_sales]
        """)
    _, result = simulate(root)
    visitor = only(result)
    assert visitor.passed, visitor.failures
    assert visitor.would_start is True
    assert visitor.outcome == "escalated"
    assert [x.call.attempt for x in visitor.exchanges] == [1, 2]  # the 500 was retried
    lines = [(t.who, t.text) for t in visitor.transcript]
    assert ("you", "[click] 200+") in lines
    assert lines[0] == ("bot", "Hi Ada! Two questions?")


def test_unmatched_messages_are_dropped_before_input(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        visitors:
          - name: skips the greeting
            steps:
              - say: 1-10
              - bot: Self-serve it is.
            expect: {outcome: small, variables: {size: 1-10}}
        """)
    visitor = only(simulate(root)[1])
    assert visitor.passed, visitor.failures
    # the start condition does not hold (no page), but `flow:` starts it anyway
    assert visitor.would_start is False


def test_link_button_click_is_recorded_only(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        visitors:
          - name: opens the pricing link, then answers
            steps:
              - click: Pricing
              - click: 1-10
            expect: {outcome: small}
        """)
    visitor = only(simulate(root)[1])
    assert visitor.passed, visitor.failures
    assert any(t.text == "[click] Pricing (link)" for t in visitor.transcript)


def test_wait_fires_timeout_and_goto_continues(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        visitors:
          - name: ignores the form
            steps:
              - click: 200+
              - wait: 599
              - wait: 1
              - bot: We'll write to you.
            expect:
              outcome: followed_up
              path: [greet, links, ask_size, contact, quiet, bye]
          - name: goto outcome counts too
            steps:
              - click: 200+
              - wait: 600
            expect: {outcome: "goto:followup"}
        """)
    result = simulate(root)[1]
    assert [v.failures for v in result.visitors] == [[], []]


def test_agents_step_changes_routing(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        defaults: {agents: {sales: 1}}
        visitors:
          - name: sales leaves before the form is sent
            mocks: {endpoints: {crm: {status: 200}}}
            steps:
              - click: 200+
              - agents: {sales: 0}
              - form: {email: bo@example.com}
            expect: {outcome: later}
        """)
    visitor = only(simulate(root)[1])
    assert visitor.passed, visitor.failures


def test_step_mismatch_has_a_transcript_diff(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        visitors:
          - name: wrong expectation
            steps:
              - bot: Hi there! Two questions?
              - bot: Something else
        """)
    visitor = only(simulate(root)[1])
    (failure,) = visitor.failures
    assert failure.line == 6 and failure.column == 9
    assert "-bot: Something else" in failure.diff
    assert "+bot: Our plans [Pricing -> https://acme.test/pricing]" in failure.diff
    assert " bot: Hi there! Two questions?" in failure.diff


def test_invalid_form_answer_is_reported_by_the_flow(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        visitors:
          - name: bad email
            steps:
              - click: 200+
              - form: {email: nope}
              - bot: "Please check*"
        """)
    assert only(simulate(root)[1]).passed


def test_without_flow_the_start_conditions_decide(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"shop": SHOP, "followup": FOLLOWUP}, {"starts": """\
        visitors:
          - name: pricing starts the shop
            event: page_view
            context: {page: {url: "https://acme.test/pricing"}}
            expect: {started: true, flow: shop, path: [greet, links, ask_size]}
          - name: another page starts nothing
            event: page_view
            context: {page: {url: "https://acme.test/blog"}}
            expect: {started: false}
          - name: another page, a flow expected
            event: page_view
            context: {page: {url: "https://acme.test/blog"}}
            expect: {flow: shop}
        """})
    result = simulate(root)[1]
    first, second, third = result.visitors
    assert first.passed and second.passed, (first.failures, second.failures)
    assert first.flow == "shop" and second.flow is None
    assert not third.passed
    assert "no flow started for event page_view" in third.failures[0].message
    assert "shop: its `when` condition is false" in third.failures[0].message


def test_default_clock_is_fixed(tmp_path: Path) -> None:
    flow = """\
        flow: clock
        start: {on: page_view}
        blocks:
          - id: when
            type: end
            text: "{{ now.isoformat() }}"
        """
    root = write_project(tmp_path / "p", {"clock": flow}, {"clock": """\
        flow: clock
        visitors:
          - name: no now
            steps: [{bot: "2026-01-05T10:00:00+01:00"}]
        """})
    visitor = only(simulate(root)[1])
    assert visitor.passed, visitor.failures


def test_expected_requests_in_order_with_calls_between(tmp_path: Path) -> None:
    root = shop(tmp_path, """\
        flow: shop
        defaults: {agents: {sales: 0}}
        visitors:
          - name: retries come between
            mocks: {endpoints: {crm: [{status: 503}, {timeout: true}, {status: 200}]}}
            steps:
              - click: 200+
              - form: {email: cy@example.com}
            expect:
              outcome: later
              requests:
                - {endpoint: crm, method: POST, body: {size: big}}
                - {endpoint: crm, body: {email: cy@example.com}}
          - name: only one call matches two entries
            mocks: {endpoints: {crm: {status: 200}}}
            steps:
              - click: 200+
              - form: {email: cy@example.com}
            expect:
              requests:
                - {endpoint: crm}
                - {endpoint: crm}
        """)
    first, second = simulate(root)[1].visitors
    assert first.passed, first.failures
    assert len(first.exchanges) == 3
    assert not second.passed
    assert "expected a call to 'crm' that was not made" in second.failures[0].message
    assert second.failures[0].line == 22  # the second entry
