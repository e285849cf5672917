"""Data-driven failing visitors: tests/cases/simulate/<case>/ holds a flow and a visitors
file whose first line is ``# expect-failure: <substring of the failure message>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowctl.loader.project import display_path, load_project
from flowctl.model.project import Project
from flowctl.simulate.runner import run_project

CASES = Path(__file__).resolve().parents[1] / "cases" / "simulate"
FILES = sorted(CASES.glob("*/*.visitors.yaml"))


def expected_failure(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# expect-failure:"
    assert first.startswith(prefix), f"{path} must start with '{prefix} ...'"
    return first[len(prefix):].strip()


@pytest.fixture(scope="module")
def project() -> Project:
    loaded, _ = load_project([CASES])
    return loaded


def test_cases_exist() -> None:
    assert len(FILES) >= 10


@pytest.mark.parametrize("path", FILES, ids=[p.parent.name for p in FILES])
def test_case_fails_with_message(path: Path, project: Project) -> None:
    wanted = expected_failure(path)
    result = run_project(project, [display_path(path)])
    visitors = result.visitors
    assert visitors, f"{path}: no visitors ran"
    failures = [f for v in visitors for f in v.failures]
    assert failures, f"{path}: every visitor passed"
    messages = [f.message for f in failures]
    assert any(wanted in m for m in messages), messages
    for failure in failures:
        assert failure.span.file == display_path(path)
        assert failure.line >= 1 and failure.column >= 1
