"""Build small projects on disk for simulator tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from flowctl.loader.project import load_project
from flowctl.model.project import Project
from flowctl.simulate.runner import SimulationResult, VisitorResult, run_project

CONFIG = """\
project: sim-test
timezone: Europe/Berlin
departments: [sales, support]
schedules:
  office: {hours: {mon-fri: "09:00-17:00"}}
endpoints:
  crm: {url: "https://crm.example.test/c", method: POST, timeout: 5, retries: 2}
ai:
  assistants:
    default: {provider: knowledge_base}
    gpt: {provider: openai, model: gpt-4o-mini, api_key: "${AI_API_KEY}"}
"""


def write_project(root: Path, flows: dict[str, str], visitors: dict[str, str],
                  config: str = CONFIG) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "flowctl.yaml").write_text(config, encoding="utf-8")
    for name, text in flows.items():
        (root / f"{name}.flow.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    for name, text in visitors.items():
        (root / f"{name}.visitors.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def simulate(root: Path) -> tuple[Project, SimulationResult]:
    project, _ = load_project([root])
    return project, run_project(project)


def only(result: SimulationResult) -> VisitorResult:
    assert len(result.visitors) == 1, [v.name for v in result.visitors]
    return result.visitors[0]
