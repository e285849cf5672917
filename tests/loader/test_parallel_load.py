"""Large projects are read in parallel; the result must equal a serial read."""

from __future__ import annotations

from pathlib import Path

import pytest

import flowctl.loader.project as project_loader

FLOW = """\
flow: f{n}
start: {{on: "custom:go{n}", priority: {n}}}
blocks:
  - {{id: ask, type: question, text: "Hi {{{{ visitor.name }}}}", choices: [A, B], on_invalid: done}}
  - {{id: done, type: end}}
"""
VISITORS = """\
flow: f0
defaults: {agents: {support: 1}, context: {visitor: {name: Ada, attributes: {plan: pro}}}}
visitors:
  - name: a
    mocks: {endpoints: {crm: [{status: 500}, {status: 200, json: {id: 1}}]}}
    steps: [{click: A}, {form: {email: a@b.test}}, {agents: {support: 0}}]
    expect: {variables: {x: {y: [1, 2]}}, visitor: {email: a@b.test}}
"""


def _project(tmp_path: Path, flows: int) -> Path:
    (tmp_path / "flowctl.yaml").write_text("project: p\ndepartments: [support]\n"
                                           "endpoints: {crm: {url: 'https://crm.test'}}\n")
    for n in range(flows):
        (tmp_path / f"f{n}.flow.yaml").write_text(FLOW.format(n=n))
    (tmp_path / "f0.visitors.yaml").write_text(VISITORS)
    return tmp_path


def test_parallel_and_serial_reads_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, project_loader.PARALLEL_FROM + 5)
    parallel, _ = project_loader.load_project([root])
    monkeypatch.setattr(project_loader, "PARALLEL_FROM", 10**9)
    serial, _ = project_loader.load_project([root])
    assert [f.id for f in parallel.flows] == [f.id for f in serial.flows]
    assert [f.blocks for f in parallel.flows] == [f.blocks for f in serial.flows]
    assert parallel.visitor_files[0].visitors == serial.visitor_files[0].visitors
    assert parallel.load_problems == serial.load_problems == ()
