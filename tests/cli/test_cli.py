"""End-to-end tests of the ``flowctl`` command line, used as a user would.

Most tests run the typer app in-process with ``CliRunner`` (fast); a few run
``python -m flowctl`` in a subprocess to check the real entry point.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.lint.catalogue import all_rules

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "flows"
TEMPLATES = ["lead-qualification", "support-triage", "feedback", "booking", "onboarding", "blank"]

PROJECT = """\
project: demo
timezone: Europe/Berlin
departments: [support]
"""

# A flow with no problem at all.
CLEAN_FLOW = """\
flow: a
start:
  on: chat_opened
blocks:
  - id: route
    type: branch
    cases:
      - when: "visitor.returning"
        next: bye
    default: bye
  - id: bye
    type: end
"""

# Exactly one defect: G002 at line 10, column 14 (`default: byee`).
G002_FLOW = CLEAN_FLOW.replace("    default: bye\n", "    default: byee\n")
G002_LINE, G002_COL = 10, 14

# Exactly one warning: G003 for block 'orphan' (line 9, column 5).
G003_FLOW = """\
flow: a
start:
  on: chat_opened
blocks:
  - id: hello
    type: message
    text: Hi
    next: bye
  - id: orphan
    type: message
    text: Nobody sees me
    next: bye
  - id: bye
    type: end
"""
G003_LINE = 9


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def make_project(root: Path, flow: str | None = CLEAN_FLOW, config: str | None = PROJECT,
                 name: str = "a.flow.yaml") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "flowctl.yaml").write_text(config, encoding="utf-8")
    if flow is not None:
        (root / "flows").mkdir(exist_ok=True)
        (root / "flows" / name).write_text(flow, encoding="utf-8")
    return root


def run(runner: CliRunner, args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch,
        env: dict[str, str] | None = None):
    monkeypatch.chdir(cwd)
    result = runner.invoke(app, args, env=env, catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"flowctl {' '.join(args)} raised {result.exception!r}\n{result.output}"
    )
    assert "Traceback" not in result.output
    assert "Traceback" not in (result.stderr or "")
    return result


def lint_json(runner: CliRunner, cwd: Path, monkeypatch: pytest.MonkeyPatch,
              *extra: str) -> tuple[int, dict]:
    result = run(runner, ["lint", "--format", "json", *extra], cwd, monkeypatch)
    return result.exit_code, json.loads(result.stdout)


def codes(report: dict) -> list[str]:
    return [p["code"] for p in report["problems"]]


def subprocess_flowctl(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full_env = {key: value for key, value in os.environ.items() if key != "GITHUB_ACTIONS"}
    full_env.update({"NO_COLOR": "1", **env})
    return subprocess.run([sys.executable, "-m", "flowctl", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=60)


# --------------------------------------------------------------------------- 1. example project


def test_example_project_passes_subprocess() -> None:
    proc = subprocess_flowctl(["lint", "flows/"], cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_example_project_json_shape(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(runner, ["lint", "flows/", "--format", "json"], REPO, monkeypatch)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert report["problems"] == []
    assert isinstance(report["summary"], dict)


def test_json_problem_keys(runner: CliRunner, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert code == 1
    assert report["version"] == 1
    assert isinstance(report["problems"], list) and report["problems"]
    for problem in report["problems"]:
        assert {"file", "line", "column", "code", "severity", "message"} <= problem.keys()
    (problem,) = report["problems"]
    assert problem == {**problem, "file": "flows/a.flow.yaml", "line": G002_LINE,
                       "column": G002_COL, "code": "G002", "severity": "error"}
    assert "byee" in problem["message"]


# --------------------------------------------------------------------------- 2. text output, exit codes


def test_text_output_one_defect(runner: CliRunner, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    result = run(runner, ["lint"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    out = result.stdout
    assert f"flows/a.flow.yaml:{G002_LINE}:{G002_COL}: error[G002]" in out
    lines = out.splitlines()
    source = next(i for i, line in enumerate(lines) if line.rstrip().endswith("default: byee"))
    caret_line = lines[source + 1]
    # the caret sits under the target, at the same offset as in the source line
    assert caret_line.index("^") == lines[source].index("byee")
    assert "^^^^" in caret_line
    assert "1 error" in out


@pytest.mark.parametrize(("flow", "args", "expected"), [
    (G002_FLOW, [], 1),
    (G002_FLOW, ["--fail-on", "never"], 0),
    (G002_FLOW, ["--fail-on", "warning"], 1),
    (G003_FLOW, [], 0),
    (G003_FLOW, ["--fail-on", "error"], 0),
    (G003_FLOW, ["--fail-on", "warning"], 1),
    (G003_FLOW, ["--fail-on", "info"], 1),
    (CLEAN_FLOW, ["--fail-on", "info"], 0),
], ids=["error", "error-never", "error-warning", "warning-default", "warning-error",
        "warning-warning", "warning-info", "clean-info"])
def test_fail_on(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 flow: str, args: list[str], expected: int) -> None:
    make_project(tmp_path, flow)
    result = run(runner, ["lint", *args], tmp_path, monkeypatch)
    assert result.exit_code == expected, result.output


def test_warning_is_reported(runner: CliRunner, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G003_FLOW)
    result = run(runner, ["lint"], tmp_path, monkeypatch)
    # the column is the block's (its `- ` item or its id): only the line is pinned here
    assert re.search(rf"^flows/a\.flow\.yaml:{G003_LINE}:\d+: warning\[G003\]", result.stdout,
                     re.MULTILINE), result.stdout


# --------------------------------------------------------------------------- 3. --select / --ignore

TWO_DEFECTS = G002_FLOW + """\
  - id: orphan
    type: message
    text: Nobody sees me
    next: bye
"""


@pytest.mark.parametrize(("args", "expected"), [
    ([], ["G002", "G003"]),
    (["--select", "G"], ["G002", "G003"]),
    (["--select", "G002"], ["G002"]),
    (["--select", "unknown-target"], ["G002"]),
    (["--select", "G002,G003"], ["G002", "G003"]),
    (["--ignore", "G002"], ["G003"]),
    (["--ignore", "unreachable-block"], ["G002"]),
    (["--select", "G", "--ignore", "G003"], ["G002"]),
    (["--select", "X"], []),
])
def test_select_ignore(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                       args: list[str], expected: list[str]) -> None:
    make_project(tmp_path, TWO_DEFECTS)
    _, report = lint_json(runner, tmp_path, monkeypatch, *args)
    assert sorted(codes(report)) == expected


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_rule_on_command_line(runner: CliRunner, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    make_project(tmp_path, CLEAN_FLOW)
    result = run(runner, ["lint", option, "NOPE"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "NOPE" in result.stderr


# --------------------------------------------------------------------------- 4. lint section of flowctl.yaml


@pytest.mark.parametrize(("lint_section", "flow", "expected", "exit_code"), [
    ("  rules: {G003: error}\n", G003_FLOW, [("G003", "error")], 1),
    ("  rules: {unreachable-block: error}\n", G003_FLOW, [("G003", "error")], 1),
    ("  rules: {G003: off}\n", G003_FLOW, [], 0),
    ("  rules: {G003: info}\n", G003_FLOW, [("G003", "info")], 0),
    ("  rules: {G002: warning}\n", G002_FLOW, [("G002", "warning")], 0),
    ("  ignore: [G003]\n", G003_FLOW, [], 0),
    ("  ignore: [G002]\n", G002_FLOW, [], 0),
], ids=["raise", "raise-by-name", "off", "info", "lower", "ignore-warning", "ignore-error"])
def test_lint_config(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     lint_section: str, flow: str, expected: list[tuple[str, str]],
                     exit_code: int) -> None:
    make_project(tmp_path, flow, PROJECT + "lint:\n" + lint_section)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert [(p["code"], p["severity"]) for p in report["problems"]] == expected
    assert code == exit_code


def test_lint_config_exclude(runner: CliRunner, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW, PROJECT + 'lint:\n  exclude: ["drafts/*"]\n')
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "b.flow.yaml").write_text(
        G002_FLOW.replace("flow: a", "flow: b").replace("on: chat_opened", "on: visitor_idle"))
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert (code, report["problems"]) == (0, [])
    # without the exclude, the draft is reported
    (tmp_path / "flowctl.yaml").write_text(PROJECT)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert code == 1
    assert [(p["file"], p["code"]) for p in report["problems"]] == [("drafts/b.flow.yaml", "G002")]


def test_lint_config_unknown_rule_key(runner: CliRunner, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = PROJECT + "lint:\n  rules:\n    G003: error\n    bogus-rule: off\n"
    make_project(tmp_path, CLEAN_FLOW, config)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert code == 1
    (problem,) = report["problems"]
    assert problem["code"] == "S007"
    assert problem["file"] == "flowctl.yaml"
    assert problem["line"] == 7  # the `bogus-rule: off` line
    assert problem["column"] == 5
    assert "bogus-rule" in problem["message"]


# --------------------------------------------------------------------------- 5. disable comments


def _g002_with(line10: str, extra_before: str = "", extra_after: str = "") -> str:
    lines = G002_FLOW.splitlines(keepends=True)
    assert lines[9] == "    default: byee\n"
    lines[9] = line10
    return "".join(lines[:9]) + extra_before + "".join(lines[9:]) + extra_after


@pytest.mark.parametrize("flow", [
    _g002_with("    default: byee  # flowctl: disable=G002\n"),
    _g002_with("    default: byee  # flowctl: disable=unknown-target\n"),
    _g002_with("    default: byee\n", extra_before="    # flowctl: disable=G002\n"),
    _g002_with("    default: byee\n", extra_before="    # flowctl: disable=unknown-target\n"),
    "# flowctl: disable-file=G002\n" + G002_FLOW,
    G002_FLOW + "# flowctl: disable-file=G002\n",
    G002_FLOW + "# flowctl: disable-file=unknown-target\n",
], ids=["eol", "eol-name", "line-above", "line-above-name", "file-top", "file-bottom",
        "file-name"])
def test_disable_comment_suppresses(runner: CliRunner, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch, flow: str) -> None:
    make_project(tmp_path, flow)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert (code, report["problems"]) == (0, [])


def test_disable_other_code_does_not_suppress(runner: CliRunner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, _g002_with("    default: byee  # flowctl: disable=G003\n"))
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert code == 1
    assert sorted(codes(report)) == ["G002", "M001"]


@pytest.mark.parametrize(("flow", "line", "column"), [
    (CLEAN_FLOW.replace("    default: bye\n", "    default: bye  # flowctl: disable=G002\n"),
     10, 19),
    (CLEAN_FLOW.replace("    default: bye\n", "    # flowctl: disable=G002\n    default: bye\n"),
     10, 5),
    (CLEAN_FLOW + "# flowctl: disable-file=G002\n", 13, 1),
], ids=["eol", "line-above", "file"])
def test_unused_disable(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        flow: str, line: int, column: int) -> None:
    make_project(tmp_path, flow)
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert code == 0  # a warning
    (problem,) = report["problems"]
    assert (problem["code"], problem["severity"], problem["line"]) == ("M001", "warning", line)
    assert problem["column"] == column


# --------------------------------------------------------------------------- 6. other formats


def test_github_format_under_actions(runner: CliRunner, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    for args in (["lint"], ["lint", "--format", "auto"]):
        result = run(runner, args, tmp_path, monkeypatch, env={"GITHUB_ACTIONS": "true"})
        assert result.exit_code == 1
        annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
        assert len(annotations) == 1
        assert annotations[0].startswith(
            f"::error file=flows/a.flow.yaml,line={G002_LINE},col={G002_COL}")
        assert "G002" in annotations[0]


def test_github_format_explicit(runner: CliRunner, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G003_FLOW)
    result = run(runner, ["lint", "--format", "github"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert any(line.startswith("::warning file=flows/a.flow.yaml,")
               for line in result.stdout.splitlines())


def test_auto_format_is_text_outside_actions(runner: CliRunner, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    result = run(runner, ["lint", "--format", "auto"], tmp_path, monkeypatch)
    assert "error[G002]" in result.stdout
    assert "::error" not in result.stdout
    assert "\x1b[" not in result.stdout  # NO_COLOR


def test_sarif(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    result = run(runner, ["lint", "--format", "sarif"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    (run_,) = sarif["runs"]
    (res,) = run_["results"]
    assert res["ruleId"] == "G002"
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (G002_LINE, G002_COL)


def test_junit_to_file(runner: CliRunner, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    junitparser = pytest.importorskip("junitparser")
    make_project(tmp_path, G002_FLOW)
    out = tmp_path / "report.xml"
    result = run(runner, ["lint", "--format", "junit", "--output", str(out)], tmp_path,
                 monkeypatch)
    assert result.exit_code == 1
    assert result.stdout.strip() == ""  # the report went to the file
    xml = junitparser.JUnitXml.fromfile(str(out))
    cases = [case for suite in (xml if isinstance(xml, junitparser.JUnitXml) else [xml])
             for case in suite]
    failing = [case for case in cases if not case.is_passed]
    assert failing
    assert any("G002" in (r.text or "") + (r.message or "")
               for case in failing for r in case.result)


def test_json_to_file(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    out = tmp_path / "report.json"
    result = run(runner, ["lint", "-f", "json", "-o", str(out)], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert codes(json.loads(out.read_text())) == ["G002"]


# --------------------------------------------------------------------------- 7. bad input


def test_nonexistent_path(runner: CliRunner, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW)
    result = run(runner, ["lint", "no/such/thing.flow.yaml"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "no/such/thing.flow.yaml" in result.stderr
    assert "error" in result.stderr


def test_nonexistent_path_subprocess(tmp_path: Path) -> None:
    proc = subprocess_flowctl(["lint", "missing-dir"], cwd=tmp_path)
    assert proc.returncode == 2
    assert "missing-dir" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_directory_without_flows(runner: CliRunner, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Zero flows is no pass (issue 10): exit 2, as eslint does for zero files."""
    (tmp_path / "empty").mkdir()
    result = run(runner, ["lint", "empty"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "no flows found under" in result.output
    result = run(runner, ["lint"], tmp_path / "empty", monkeypatch)
    assert result.exit_code == 2


@pytest.mark.parametrize(("content", "code", "line"), [
    ("flow: a\nstart:\n  on: [chat_opened\nblocks: {\n", "S001", 4),
    ("flow: a\n  start: x\n: :\n", "S001", None),
    ("flow: a\nblocks:\n  - id: x\n\ttype: end\n", "S001", 4),
    ("", "S003", 1),
    ("# only a comment\n", "S003", 1),
    ("flow: a\nflow: b\nstart: {on: chat_opened}\nblocks: [{id: x, type: end}]\n", "S002", 2),
    ("- just\n- a list\n", "S003", 1),
], ids=["unclosed", "bad-mapping", "tab", "empty", "comment-only", "duplicate-key", "list"])
def test_broken_flow_file(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          content: str, code: str, line: int | None) -> None:
    make_project(tmp_path, content)
    exit_code, report = lint_json(runner, tmp_path, monkeypatch)
    assert exit_code == 1
    found = [p for p in report["problems"] if p["code"] == code]
    assert found, report
    assert found[0]["file"] == "flows/a.flow.yaml"
    if line is not None:
        assert found[0]["line"] == line
    # and the text report locates it too
    result = run(runner, ["lint"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert f"flows/a.flow.yaml:{found[0]['line']}:{found[0]['column']}: error[{code}]" \
        in result.stdout


def test_binary_flow_file(runner: CliRunner, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, None)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "a.flow.yaml").write_bytes(b"\xff\xfe\x00\x01flow: a\x00")
    exit_code, report = lint_json(runner, tmp_path, monkeypatch)
    assert exit_code == 1
    assert report["problems"]


def test_broken_flowctl_yaml(runner: CliRunner, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW, "project: [demo\n")
    exit_code, report = lint_json(runner, tmp_path, monkeypatch)
    assert exit_code == 1
    assert any(p["file"] == "flowctl.yaml" and p["code"] == "S001" for p in report["problems"])


def test_no_config_note(runner: CliRunner, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.flow.yaml").write_text(CLEAN_FLOW)
    result = run(runner, ["lint"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert "flowctl.yaml" in result.stderr
    assert "not checked" in result.stderr
    assert "note" not in result.stdout
    # -q silences the note
    result = run(runner, ["lint", "-q"], tmp_path, monkeypatch)
    assert "note" not in result.stderr


def test_config_note_absent_with_config(runner: CliRunner, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW)
    result = run(runner, ["lint"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert "not checked" not in result.stderr


def test_lint_from_subfolder_finds_config(runner: CliRunner, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    code, report = lint_json(runner, tmp_path / "flows", monkeypatch)
    assert code == 1
    assert codes(report) == ["G002"]


def test_bad_option_value(runner: CliRunner, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW)
    for args in (["lint", "--format", "xml"], ["lint", "--fail-on", "sometimes"],
                 ["lint", "--bogus"]):
        result = run(runner, args, tmp_path, monkeypatch)
        assert result.exit_code == 2, args


# --------------------------------------------------------------------------- 8. rules


def test_rules_lists_every_code(runner: CliRunner, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(runner, ["rules"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    rules = all_rules()
    assert len(rules) >= 40
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == sorted(rules)
    for code in ("G001", "G002", "M001", "S001", "V001", "X001"):
        assert code in listed


@pytest.mark.parametrize("key", ["G002", "g002", "unknown-target"])
def test_rules_explains_one(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            key: str) -> None:
    result = run(runner, ["rules", key], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.startswith("G002 unknown-target")
    assert "Bad:" in result.stdout
    assert "Good:" in result.stdout


def test_rules_unknown(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(runner, ["rules", "nope"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "nope" in result.stderr


def _section(doc: str, title: str) -> str:
    """The indented block under a ``Bad:`` or ``Good:`` line of a rule's docstring."""
    lines = doc.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    body = []
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        body.append(line)
    return "\n".join(body).strip()


@pytest.mark.parametrize("code", [c for c, r in all_rules().items() if r.family not in ("S", "M")])
def test_rule_doc_has_bad_and_good(code: str) -> None:
    doc = all_rules()[code].doc
    assert all_rules()[code].summary
    for title in ("Bad:", "Good:"):
        assert any(line.strip() == title for line in doc.splitlines()), f"{code}: no {title}"
        assert _section(doc, title), f"{code}: empty {title} example"
    assert _section(doc, "Bad:") != _section(doc, "Good:")


def test_every_rule_explained_by_cli(runner: CliRunner, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for code, rule in all_rules().items():
        for key in (code, rule.name):
            result = runner.invoke(app, ["rules", key])
            assert result.exit_code == 0, key
            assert result.stdout.startswith(f"{code} {rule.name}"), key


# --------------------------------------------------------------------------- 9. help and version


def test_version(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import flowctl

    result = run(runner, ["--version"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert result.stdout.strip() == f"flowctl {flowctl.__version__}"


def test_help_lists_commands(runner: CliRunner, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    for args in (["--help"], ["-h"]):
        result = run(runner, args, tmp_path, monkeypatch)
        assert result.exit_code == 0
        for command in ("lint", "rules", "init"):
            assert command in result.stdout


def test_no_args_shows_help(runner: CliRunner, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(runner, [], tmp_path, monkeypatch)
    assert "lint" in result.output and "Usage" in result.output


@pytest.mark.parametrize("command", ["lint", "rules", "init"])
def test_command_help_has_example(runner: CliRunner, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    result = run(runner, [command, "--help"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert "Example" in result.stdout


# --------------------------------------------------------------------------- 10. init

@pytest.mark.parametrize("template", TEMPLATES)
def test_init_then_lint_is_clean(runner: CliRunner, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, template: str) -> None:
    result = run(runner, ["init", "proj", "--template", template], tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    proj = tmp_path / "proj"
    assert (proj / "flowctl.yaml").is_file()
    assert list((proj / "flows").glob("*.flow.yaml"))
    assert list((proj / "flows").glob("*.visitors.yaml"))
    assert list((proj / "knowledge").glob("*.md"))
    assert (proj / ".github" / "workflows" / "flows.yml").is_file()
    schemas = sorted(p.name for p in (proj / ".flowctl" / "schemas").glob("*.json"))
    assert schemas, "no JSON schemas written"
    for schema in schemas:
        json.loads((proj / ".flowctl" / "schemas" / schema).read_text())
    assert "created" in result.stdout
    code, report = lint_json(runner, proj, monkeypatch)
    assert report["problems"] == []
    assert code == 0


def test_init_lint_subprocess(tmp_path: Path) -> None:
    proc = subprocess_flowctl(["init", "my-flows", "--template", "support-triage"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess_flowctl(["lint"], cwd=tmp_path / "my-flows")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed" in proc.stdout
    assert proc.stderr == ""


def test_init_refuses_existing_project(runner: CliRunner, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    proj = tmp_path / "proj"
    proj.mkdir()
    mine = "project: mine\n# my own settings\n"
    (proj / "flowctl.yaml").write_text(mine)
    result = run(runner, ["init", "proj", "--template", "booking"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert "flowctl.yaml" in result.stderr
    assert "--force" in result.stderr
    assert (proj / "flowctl.yaml").read_text() == mine
    assert not (proj / "flows").exists(), "init wrote files although it refused"

    result = run(runner, ["init", "proj", "--template", "booking", "--force"], tmp_path,
                 monkeypatch)
    assert result.exit_code == 0
    assert (proj / "flowctl.yaml").read_text() != mine


def test_init_twice_keeps_edits(runner: CliRunner, tmp_path: Path,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(runner, ["init", "proj", "-t", "feedback"], tmp_path, monkeypatch).exit_code == 0
    flow = tmp_path / "proj" / "flows" / "feedback.flow.yaml"
    edited = flow.read_text() + "# my edit\n"
    flow.write_text(edited)
    result = run(runner, ["init", "proj", "-t", "feedback"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert flow.read_text() == edited
    result = run(runner, ["init", "proj", "-t", "feedback", "--force"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert flow.read_text() != edited


def test_init_unknown_template(runner: CliRunner, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(runner, ["init", "proj", "--template", "nope"], tmp_path, monkeypatch)
    assert result.exit_code == 2
    assert not (tmp_path / "proj" / "flowctl.yaml").exists()


# --------------------------------------------------------------------------- 11. python -m flowctl


def test_python_m_version(tmp_path: Path) -> None:
    import flowctl

    proc = subprocess_flowctl(["--version"], cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"flowctl {flowctl.__version__}"
    assert proc.stderr == ""


def test_dedent_helper_is_consistent() -> None:
    # guards the fixtures above: G002_FLOW differs from CLEAN_FLOW only on line 10
    clean, broken = CLEAN_FLOW.splitlines(), G002_FLOW.splitlines()
    assert [i for i, (a, b) in enumerate(zip(clean, broken, strict=True)) if a != b] == [9]
    assert textwrap.dedent(broken[9]).strip() == "default: byee"


# --------------------------------------------------------------------------- paths and verbosity


def test_paths_limit_report_but_not_project(runner: CliRunner, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    goto_flow = CLEAN_FLOW.replace("flow: a", "flow: c").replace(
        "on: chat_opened", "on: visitor_idle").replace(
        "  - id: bye\n    type: end\n", "  - id: bye\n    type: goto\n    flow: b\n")
    make_project(tmp_path, goto_flow, name="c.flow.yaml")
    (tmp_path / "flows" / "b.flow.yaml").write_text(
        G002_FLOW.replace("flow: a", "flow: b").replace("on: chat_opened", "on: page_view"))
    # the whole project: b's error
    code, report = lint_json(runner, tmp_path, monkeypatch)
    assert (code, [(p["file"], p["code"]) for p in report["problems"]]) == (
        1, [("flows/b.flow.yaml", "G002")])
    # only c: its goto to flow b resolves (b is still loaded), b's error is not reported
    code, report = lint_json(runner, tmp_path, monkeypatch, "flows/c.flow.yaml")
    assert (code, report["problems"]) == (0, [])


def test_quiet_is_one_line_per_problem(runner: CliRunner, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, G002_FLOW)
    result = run(runner, ["lint", "-q"], tmp_path, monkeypatch)
    assert result.exit_code == 1
    assert f"flows/a.flow.yaml:{G002_LINE}:{G002_COL}: error[G002]" in result.stdout
    assert "^" not in result.stdout


def test_verbose_lists_files(runner: CliRunner, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    make_project(tmp_path, CLEAN_FLOW)
    result = run(runner, ["lint", "-v"], tmp_path, monkeypatch)
    assert result.exit_code == 0
    assert "flows/a.flow.yaml" in result.stdout + result.stderr
