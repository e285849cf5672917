"""The pre-commit hook's `files` pattern: project files only, anchored (issue 10, item 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

HOOKS = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"

CASES = [  # (path as pre-commit passes it, whether the hook must run on it)
    ("flowctl.yaml", True),
    ("shop/flowctl.yml", True),
    ("flows/booking.flow.yaml", True),
    ("booking.flow.yml", True),
    ("flows/booking.visitors.yaml", True),
    ("knowledge/refunds.md", True),
    ("shop/knowledge/billing/refunds.md", True),
    ("docs-notflowctl.yaml", False),
    ("notflowctl.yml", False),
    ("flows/.flow.yaml", False),
    ("README.md", False),
    ("docs/guide.md", False),
    ("flows/booking.flow.yaml.orig", False),
    ("flows/notes.txt", False),
]


@pytest.mark.parametrize(("path", "runs"), CASES)
def test_hook_files_pattern(path: str, runs: bool) -> None:
    (hook,) = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert bool(re.search(hook["files"], path)) is runs  # pre-commit uses re.search
