"""A git repository, built in the test, whose second commit makes every kind of change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

PROJECT = "project: t\ntimezone: Europe/Berlin\ndepartments: [support, billing]\n"

SUPPORT_V1 = """\
flow: support
title: Support
start:
  on: chat_opened
  priority: 5
blocks:
  - id: greet
    type: message
    text: Hello!
  - id: ask_topic
    type: question
    text: What do you need?
    choices:
      - {label: Billing, next: to_billing}
      - {label: Tech, next: tech_tips}
    save: topic
  - id: tech_tips
    type: message
    text: Try restarting the app.
  - id: survey
    type: question
    text: Did that help?
    choices: [Yes, No]
    save: helped
  - id: check_vip
    type: branch
    cases:
      - when: visitor.returning
        next: to_tech
    default: bye
  - id: old_tag
    type: tag
    add: [legacy]
  - id: to_tech
    type: escalate
    department: support
  - id: to_billing
    type: escalate
    department: billing
    text: Connecting you to billing.
  - id: bye
    type: end
"""

# to_billing renamed to billing_desk (and the choice pointing at it), the Billing label
# changed, the branch condition changed, tech_tips moved (it fell through to survey, now
# to billing_desk), ask_email added, old_tag removed, priority and events changed.
SUPPORT_V2 = """\
flow: support
title: Support
start:
  on: [chat_opened, page_view]
  priority: 10
blocks:
  - id: greet
    type: message
    text: Hello!
  - id: ask_email
    type: question
    text: Your email, please?
    expect: email
    save: email
  - id: ask_topic
    type: question
    text: What do you need?
    choices:
      - {label: Billing & invoices, next: billing_desk}
      - {label: Tech, next: tech_tips}
    save: topic
  - id: survey
    type: question
    text: Did that help?
    choices: [Yes, No]
    save: helped
  - id: check_vip
    type: branch
    cases:
      - when: visitor.returning and visitor.visits > 3
        next: to_tech
    default: bye
  - id: to_tech
    type: escalate
    department: support
  - id: tech_tips
    type: message
    text: Try restarting the app.
  - id: billing_desk
    type: escalate
    department: billing
    text: Connecting you to billing.
  - id: bye
    type: end
"""

FAQ = """\
flow: faq
start:
  on: visitor_message
blocks:
  - id: answer
    type: ai
  - id: done
    type: end
"""

LEGACY = """\
flow: legacy
blocks:
  - id: hello
    type: message
    text: Old hello.
"""

FEEDBACK = """\
flow: feedback
start:
  on: conversation_closed
blocks:
  - id: rate
    type: question
    text: How did we do?
    choices: [Good, Bad]
    save: rating
  - id: thanks
    type: end
    text: Thanks!
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def write(root: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits, tagged ``v1`` and ``v2``; the working tree is clean at ``v2``."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root, {
        "flowctl.yaml": PROJECT,
        "flows/support.flow.yaml": SUPPORT_V1,
        "flows/faq.flow.yaml": FAQ,
        "flows/legacy.flow.yaml": LEGACY,
        "README.md": "not a flow\n",
    })
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v1")
    git(root, "tag", "v1")
    (root / "flows" / "help").mkdir()
    git(root, "mv", "flows/faq.flow.yaml", "flows/help/faq.flow.yaml")
    write(root, {
        "flows/support.flow.yaml": SUPPORT_V2,
        "flows/legacy.flow.yaml": None,
        "flows/feedback.flow.yaml": FEEDBACK,
    })
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "v2")
    git(root, "tag", "v2")
    return root
