"""``flowctl simulate`` end to end: exit codes, formats, broken files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from junitparser import JUnitXml
from typer.testing import CliRunner

from flowctl.cli.app import app

from .helpers import write_project
from .test_runner import FOLLOWUP, SHOP

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

GOOD = """\
flow: shop
visitors:
  - name: small company
    steps: [{click: 1-10}, {bot: Self-serve it is.}]
    expect: {outcome: small}
"""
BAD = """\
flow: shop
visitors:
  - name: passes
    steps: [{click: 1-10}]
  - name: fails
    steps: [{click: 1-10}, {bot: Enterprise it is.}]
"""


def invoke(args: list[str], cwd: Path) -> tuple[int, str, str]:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, ["simulate", *args])
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def project(tmp_path: Path, visitors: str, extra: dict[str, str] | None = None) -> Path:
    return write_project(tmp_path / "p", {"shop": SHOP, "followup": FOLLOWUP},
                         {"shop": visitors, **(extra or {})})


def test_passing_project_exits_0(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    code, out, _ = invoke([], root)
    assert code == 0, out
    assert "✓ shop.visitors.yaml:3 small company" in out
    assert out.rstrip().endswith("1 passed, 0 failed")
    assert "shop" in out and "%" in out  # the coverage table


def test_failing_visitor_exits_1_with_location_and_diff(tmp_path: Path) -> None:
    root = project(tmp_path, BAD)
    code, out, _ = invoke(["--no-color"], root)
    assert code == 1
    assert "✗ shop.visitors.yaml:5 fails" in out
    assert "shop.visitors.yaml:6:29: bot message does not match 'Enterprise it is.'" in out
    assert "-bot: Enterprise it is." in out and "+bot: Self-serve it is." in out
    assert "1 passed, 1 failed" in out


def test_verbose_prints_transcripts(tmp_path: Path) -> None:
    code, out, _ = invoke(["-v"], project(tmp_path, GOOD))
    assert code == 0
    assert "bot: Hi there! Two questions? [greet]" in out
    assert "you: [click] 1-10" in out


def test_json_output(tmp_path: Path) -> None:
    code, out, _ = invoke(["--format", "json"], project(tmp_path, BAD))
    assert code == 1
    data = json.loads(out)
    assert data["version"] == 1
    first, second = data["visitors"]
    assert first["passed"] and first["flow"] == "shop" and first["outcome"] == "small"
    assert first["path"] == ["greet", "links", "ask_size", "small"]
    assert not second["passed"]
    (failure,) = second["failures"]
    assert (failure["line"], failure["column"]) == (6, 29)
    assert "Enterprise" in failure["message"]
    assert data["coverage"]["flows"]["shop"]["total_edges"] > 0


def test_junit_and_coverage_files(tmp_path: Path) -> None:
    root = project(tmp_path, BAD)
    code, _, _ = invoke(["--junit", "out/junit.xml", "--coverage-file", "out/cov.json"], root)
    assert code == 1
    xml = JUnitXml.fromfile(str(root / "out" / "junit.xml"))
    cases = [case for suite in xml for case in suite]
    assert [case.name for case in cases] == ["passes", "fails"]
    assert all(case.classname == "shop.visitors.yaml" for case in cases)
    assert cases[0].is_passed and not cases[1].is_passed
    failure = cases[1].result[0]
    assert "Enterprise" in failure.message
    assert "+bot: Self-serve it is." in failure.text
    coverage = json.loads((root / "out" / "cov.json").read_text())
    assert coverage["version"] == 1 and "shop" in coverage["flows"]


def test_min_coverage_gate(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    code, _, err = invoke(["--min-coverage", "90"], root)
    assert code == 1
    assert "coverage under 90%: " in err and "shop (28.6%)" in err
    code, _, _ = invoke(["--min-coverage", "0"], root)
    assert code == 0


def test_flow_file_argument_runs_its_visitors(tmp_path: Path) -> None:
    root = project(tmp_path, GOOD)
    code, out, _ = invoke(["shop.flow.yaml"], root)
    assert code == 0 and "1 passed" in out


@pytest.mark.parametrize(("visitors", "location", "message"), [
    ("flow: shop\nvisitors:\n  - name: x\n    steps:\n      - shout: hi\n", ":5:", ""),
    ("flow: shop\nvisitors:\n  - name: x\n    expect: {path: [greet, nowhere]}\n", ":4:",
     "nowhere"),
    ("flow: shop\nvisitors:\n  - name: x\n    steps:\n      - wait: soon\n", ":5:", ""),
    ("flow: shopp\nvisitors:\n  - name: x\n", ":1:", "shopp"),
    ("flow: shop\nvisitors:\n  - name: x\n    mocks: {endpoints: {crmm: {status: 200}}}\n",
     ":4:", "crmm"),
    ("flow: shop\nvisitors: [\n", "", ""),
])
def test_broken_visitors_files_exit_2(tmp_path: Path, visitors: str, location: str,
                                      message: str) -> None:
    root = project(tmp_path, visitors)
    code, out, err = invoke(["--no-color"], root)
    assert code == 2, out
    assert "shop.visitors.yaml" + location in out
    assert message in out
    assert "before simulating" in err
    assert "Traceback" not in out + err


def test_no_visitors_files_is_a_usage_error(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"shop": SHOP, "followup": FOLLOWUP}, {})
    code, _, err = invoke([], root)
    assert code == 2 and "no visitors files" in err


def test_example_project_passes() -> None:
    code, out, _ = invoke(["flows/", "--no-color"], REPO)
    assert code == 0, out
