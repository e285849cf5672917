"""Behavioural defects: tests/cases/defects/<NN-name>/ each hold a flowctl.yaml and a flow that
is schema-valid and lint-clean (no error) but does the wrong thing.  The flow file starts with

    # defect: <one sentence>
    # caught-by: simulate | explore
    # expect: <substring of the failure or explore finding>
    # xfail: <reason>            (optional: a known engine/simulator bug hides the defect)

``simulate`` cases carry a ``*.visitors.yaml`` describing the intended behaviour, which must
fail (exit 1, never 2) with the expected message.  ``explore`` cases have no visitors file:
``flowctl simulate <flow> --explore`` must report the expected message, as an invariant
violation (exit 1) or, for an edge nothing can reach, among the unreached edges.

``_engine-bugs/`` holds flows that showed bugs found on the way; they guard the fixes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.lint.runner import lint_project
from flowctl.loader.project import display_path, load_project
from flowctl.model.problem import Severity
from flowctl.simulate.explore import Explorer
from flowctl.simulate.runner import run_project

ROOT = Path(__file__).resolve().parents[1] / "cases" / "defects"
CASES = sorted(p for p in ROOT.iterdir() if p.is_dir() and p.name[:1].isdigit())
BUGS = ROOT / "_engine-bugs"
runner = CliRunner()


def header(case: Path) -> dict[str, str]:
    flows = sorted(case.glob("*.flow.yaml"))
    assert len(flows) == 1, f"{case}: one flow per case"
    fields: dict[str, str] = {"flow": flows[0].name}
    for line in flows[0].read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].partition(":")
        fields[key.strip()] = value.strip()
    for key in ("defect", "caught-by", "expect"):
        assert fields.get(key), f"{flows[0]}: header needs '# {key}: ...'"
    assert fields["caught-by"] in ("simulate", "explore"), fields["caught-by"]
    assert flows[0].read_text(encoding="utf-8").startswith("# defect:"), "first line: # defect:"
    return fields


def params(kind: str) -> list[object]:
    out = []
    for case in CASES:
        fields = header(case)
        if fields["caught-by"] != kind:
            continue
        marks = [pytest.mark.xfail(strict=True, reason=fields["xfail"])] if "xfail" in fields else []
        out.append(pytest.param(case, id=case.name, marks=marks))
    return out


def test_enough_cases() -> None:
    kinds = [header(case)["caught-by"] for case in CASES]
    caught = [c for c in CASES if "xfail" not in header(c)]
    assert len(caught) >= 15
    assert sum(header(c)["caught-by"] == "simulate" for c in caught) >= 10
    assert sum(header(c)["caught-by"] == "explore" for c in caught) >= 4
    assert len(kinds) == len(set(c.name[:2] for c in CASES)), "case numbers must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_defect_is_lint_clean(case: Path) -> None:
    """The defect is behavioural: schema and lint find no error in the case."""
    project, requested = load_project([case])
    files = [display_path(p) for p in requested]
    assert any(f.endswith(".flow.yaml") for f in files), files
    result = lint_project(project, files)
    errors = [f"{p.span.file}:{p.span.line}: {p.code} {p.message}" for p in result.problems
              if p.severity >= Severity.ERROR]
    assert not errors, errors
    assert len(project.flows) == 1, "each case is a project of its own"


@pytest.mark.parametrize("case", params("simulate"))
def test_simulate_catches_defect(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = header(case)["expect"]
    visitors = sorted(case.glob("*.visitors.yaml"))
    assert visitors, f"{case}: a simulate case needs a visitors file"
    monkeypatch.chdir(case)
    cli = runner.invoke(app, ["simulate", "--no-color"])
    assert cli.exit_code != 2, f"visitors file or flow is broken:\n{cli.output}"
    assert cli.exit_code == 1, cli.output
    assert wanted in cli.output, cli.output

    project, _ = load_project([case])
    result = run_project(project, [display_path(p) for p in visitors])
    messages = [f.message for v in result.visitors for f in v.failures]
    assert any(wanted in m for m in messages), messages


@pytest.mark.parametrize("case", params("explore"))
def test_explore_catches_defect(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fields = header(case)
    wanted = fields["expect"]
    assert not list(case.glob("*.visitors.yaml")), "explore cases rely on generated visitors"
    monkeypatch.chdir(case)
    cli = runner.invoke(app, ["simulate", fields["flow"], "--explore", "--format", "json"])
    assert cli.exit_code in (0, 1), cli.output
    report = json.loads(cli.output)
    (flow,) = report["flows"]
    violations = [v["message"] for v in flow["violations"]]
    unreached = [u["message"] for u in flow["unreached"]]
    if any(wanted in m for m in violations):
        assert cli.exit_code == 1, "an invariant violation must fail the run"
    else:
        assert any(wanted in m for m in unreached), (violations, unreached)
        # only the defective edge (and what lies behind it) is unreached
        assert all(m.startswith(wanted) or "not reached within" in m for m in unreached), unreached


# -- regressions: bugs found on the way, fixed --------------------------------------


@pytest.mark.parametrize("number", [0, 1], ids=["on_invalid", "timeout"])
def test_step_after_implicit_end_fails(number: int) -> None:
    project, _ = load_project([BUGS])
    path = display_path(BUGS / "ended-stays-open.visitors.yaml")
    result = run_project(project, [path])
    visitor = result.visitors[number]
    messages = [f.message for f in visitor.failures]
    assert any("after the end" in m for m in messages), messages


def test_explore_flags_on_invalid_self_loop() -> None:
    case = ROOT / "16-on-invalid-loops-forever"
    project, _ = load_project([case])
    result = Explorer(project, project.flows[0]).run()
    assert result.violations, "no invariant violation for an endless on_invalid loop"


def test_explore_covers_number_threshold() -> None:
    project, _ = load_project([BUGS])
    flow = next(f for f in project.flows if f.id == "explore-number-threshold")
    result = Explorer(project, flow).run()
    assert not result.unreached, [f.message for f in result.unreached]


# -- explore is bounded, and merges states a flow cannot tell apart (repro 12, issue 10) -----

SEQ80 = Path(__file__).resolve().parents[1] / "cases" / "simulate" / "explore-budget"


def test_explore_merges_states_of_a_long_sequence() -> None:
    """80 ten-choice questions whose answers nothing reads: one state per question (plus the
    ends), every edge covered, no path cut off by a bound and reported as a defect."""
    project, _ = load_project([SEQ80])
    result = Explorer(project, project.flows[0]).run()
    assert result.budget is None
    assert len(result.covered) == result.total_edges == 161
    assert result.states <= 200, result.states
    assert not result.unreached
    messages = [f.message for f in result.violations]
    assert not any("does not end within" in m for m in messages), messages
    # the real defect, once per question and saying what it is
    assert len(messages) == 80 and all("has no `on_invalid`" in m for m in messages), messages


def test_explore_says_when_it_stops_at_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SEQ80)
    cli = runner.invoke(app, ["simulate", "seq80.flow.yaml", "--explore", "--max-states", "40",
                              "--format", "json"])
    (flow,) = json.loads(cli.output)["flows"]
    assert flow["states"] <= 40
    assert flow["budget"]["flag"] == "--max-states"
    assert flow["unreached"] == [], "the unexplored part is not reported as defects"
    assert flow["budget"]["unexplored_edges"] == flow["total_edges"] - flow["covered_edges"]
    text = runner.invoke(app, ["simulate", "seq80.flow.yaml", "--explore", "--max-states", "40",
                               "--no-color"]).output
    assert "stopped at its budget of 40 states (--max-states raises it)" in text
    assert "were not explored (not counted as defects)" in text
