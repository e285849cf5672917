"""``flowctl render`` usage errors: exit code 2, a message that says what to do, no traceback.

The ``flowctl`` fixture (conftest.py) already fails a test on any traceback or exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .helpers import needs_dot

BROKEN_YAML = """\
flow: broken
blocks:
  - id: hello
    type: message
    text: [unclosed
"""
DUPLICATE_IDS = """\
flow: twice
blocks:
  - id: hello
    type: message
    text: Hi
  - id: hello
    type: message
    text: Hi again
  - id: bye
    type: end
"""
UNKNOWN_TYPE = """\
flow: halfway
blocks:
  - id: hello
    type: message
    text: Hi
  - id: vanished
    type: teleport
  - id: bye
    type: end
"""


def error_line(run) -> str:
    assert run.code == 2, (run.code, run.stdout, run.stderr)
    assert run.stdout == ""
    lines = [line for line in run.stderr.splitlines() if line.startswith("flowctl: error: ")]
    assert len(lines) == 1, run.stderr
    return lines[0].removeprefix("flowctl: error: ")


def test_unknown_flow_id_lists_the_flows(flowctl, examples) -> None:
    run = flowctl(["nope"], examples)
    assert error_line(run) == "unknown flow 'nope'"
    assert ("hint: flows of this project: booking, feedback, lead-qualification, onboarding, "
            "support-triage") in run.stderr


def test_missing_flow_file(flowctl, examples) -> None:
    run = flowctl(["nope.flow.yaml"], examples)
    assert error_line(run) == "no such file or directory: nope.flow.yaml"


@pytest.mark.parametrize("output", ["booking.txt", "booking", "booking.jpeg"])
def test_unknown_suffix(flowctl, examples, output: str) -> None:
    run = flowctl(["booking", "-o", output], examples)
    assert error_line(run) == f"cannot tell the format from '{output}'"
    assert "hint: use a suffix .dot, .gv, .svg, .png, .pdf, .mmd or .mermaid" in run.stderr
    assert not (examples / output).exists()


@pytest.mark.parametrize("fmt", ["png", "pdf"])
@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no-output", "dash"])
def test_binary_format_to_stdout(flowctl, examples, fmt: str, output: list[str]) -> None:
    run = flowctl(["booking", "--format", fmt, *output], examples)
    assert error_line(run) == f"{fmt} is binary: give a file with -o"
    assert "hint: or print text with --format dot, svg or mermaid" in run.stderr


@pytest.mark.parametrize(("fmt", "output", "suffix"), [
    ("mermaid", "booking.svg", ".mmd"), ("svg", "booking.png", ".svg"), ("dot", "booking.mmd", ".dot"),
    ("png", "booking.pdf", ".png"), ("pdf", "out/booking.DOT", ".pdf")])
def test_format_that_contradicts_the_suffix(flowctl, examples, fmt: str, output: str,
                                            suffix: str) -> None:
    run = flowctl(["booking", "--format", fmt, "-o", output], examples)
    assert error_line(run) == f"--format {fmt} does not match the suffix of {output}"
    assert f"hint: name the file *{suffix} or drop --format" in run.stderr
    assert not (examples / output).exists()


def test_unknown_format_option(flowctl, examples) -> None:
    run = flowctl(["booking", "--format", "jpeg"], examples)
    assert run.code == 2
    assert "jpeg" in run.stderr and run.stdout == ""


def test_missing_coverage_file(flowctl, examples) -> None:
    run = flowctl(["booking", "--coverage", "nowhere.json"], examples)
    assert error_line(run) == "coverage file not found: nowhere.json"
    assert "flowctl simulate --coverage-file FILE" in run.stderr


@pytest.mark.parametrize("content", ["not json {", "", "\xff\xfe"], ids=["text", "empty", "bytes"])
def test_coverage_file_that_is_not_json(flowctl, examples, content: str) -> None:
    (examples / "cov.json").write_bytes(content.encode("latin-1"))
    run = flowctl(["booking", "--coverage", "cov.json"], examples)
    assert error_line(run).startswith("cannot read coverage file cov.json: ")


@pytest.mark.parametrize("content", ["[1, 2]", '{"version": 1}', '{"flows": []}', "42"])
def test_json_that_is_not_coverage(flowctl, examples, content: str) -> None:
    (examples / "cov.json").write_text(content, encoding="utf-8")
    run = flowctl(["booking", "--coverage", "cov.json"], examples)
    assert error_line(run) == "cov.json is not a flowctl coverage file (no 'flows' mapping)"


@pytest.mark.parametrize(("content", "where"), [
    ('{"flows": {"booking": {"edges": {"intro -next-> ask": "3"}}}}',
     "flows.booking.edges.intro -next-> ask is not a count"),
    ('{"flows": {"booking": {"edges": {"intro -next-> ask": -2}}}}',
     "flows.booking.edges.intro -next-> ask is not a count"),
    ('{"flows": {"booking": {"blocks": {"intro": true}}}}', "flows.booking.blocks.intro is not a count"),
    ('{"flows": {"booking": {"edges": ["intro -next-> ask"]}}}', "flows.booking.edges "),
    ('{"flows": {"booking": [1, 2]}}', "flows.booking is not a mapping"),
], ids=["string-count", "negative-count", "bool-count", "edges-list", "flow-list"])
def test_malformed_coverage_values(flowctl, examples, content: str, where: str) -> None:
    (examples / "cov.json").write_text(content, encoding="utf-8")
    run = flowctl(["booking", "--coverage", "cov.json"], examples)
    assert error_line(run).startswith(f"cov.json: {where}")


def test_broken_yaml_names_file_and_line(flowctl, examples) -> None:
    (examples / "broken.flow.yaml").write_text(BROKEN_YAML, encoding="utf-8")
    run = flowctl(["broken.flow.yaml", "-o", "broken.dot"], examples)
    assert error_line(run) == "the flow does not load cleanly, so its diagram would be wrong"
    first = run.stderr.splitlines()[0]
    assert re.match(r"broken\.flow\.yaml:\d+:\d+: error\[S001\]: \S", first)  # file:line:column
    assert "flowctl lint" in run.stderr
    assert not (examples / "broken.dot").exists()


def test_duplicate_block_ids_are_refused(flowctl, examples) -> None:
    """Two blocks with one id would be drawn as one node with the edges of both."""
    (examples / "twice.flow.yaml").write_text(DUPLICATE_IDS, encoding="utf-8")
    run = flowctl(["twice.flow.yaml", "-o", "twice.dot"], examples)
    assert error_line(run) == "the flow does not load cleanly, so its diagram would be wrong"
    first = run.stderr.splitlines()[0]
    assert first.startswith("twice.flow.yaml:6:") and "error[G001]" in first
    assert "'hello'" in first
    assert not (examples / "twice.dot").exists()


def test_flow_with_schema_errors_is_refused(flowctl, examples) -> None:
    """A block of unknown type is left out by the loader: drawing the rest would mislead."""
    (examples / "halfway.flow.yaml").write_text(UNKNOWN_TYPE, encoding="utf-8")
    run = flowctl(["halfway.flow.yaml", "-o", "halfway.dot"], examples)
    assert error_line(run) == "the flow does not load cleanly, so its diagram would be wrong"
    assert run.stderr.startswith("halfway.flow.yaml:7:")  # the problem first, printed like lint
    assert "teleport" in run.stderr
    assert not (examples / "halfway.dot").exists()


def test_broken_flow_in_a_folder_is_refused(flowctl, examples) -> None:
    (examples / "halfway.flow.yaml").write_text(UNKNOWN_TYPE, encoding="utf-8")
    run = flowctl([".", "-o", "out"], examples)
    assert error_line(run) == "the flow does not load cleanly, so its diagram would be wrong"
    assert "halfway.flow.yaml:7:" in run.stderr
    assert not (examples / "out").exists()  # refused before anything is written


def test_no_dot_on_path(flowctl, examples, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    run = flowctl(["booking", "-o", "booking.svg"], examples)
    assert error_line(run) == "Graphviz is not installed: `dot` was not found on PATH"
    assert "apt-get install graphviz" in run.stderr and "brew install graphviz" in run.stderr
    assert "--format dot" in run.stderr
    assert not (examples / "booking.svg").exists()
    text = flowctl(["booking", "-o", "booking.mmd"], examples)  # text formats still work
    assert text.code == 0 and (examples / "booking.mmd").exists()


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh for a fake dot")
def test_dot_that_fails(flowctl, examples, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "fake-bin" / "dot"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'Error: out of paper' >&2\nexit 1\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    run = flowctl(["booking", "-o", "booking.png"], examples)
    assert error_line(run) == "Graphviz `dot` failed: Error: out of paper"
    assert not (examples / "booking.png").exists()


def test_several_flows_into_an_existing_file(flowctl, examples) -> None:
    (examples / "taken.dot").write_text("x", encoding="utf-8")
    run = flowctl([".", "-o", "taken.dot"], examples)
    assert error_line(run) == "5 flows to draw, one file given: taken.dot"
    assert "hint: give a folder with -o (and --format), or one flow" in run.stderr
    assert (examples / "taken.dot").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("args", [["-o", "all.svg"], ["-o", "all.mmd", "--format", "mermaid"],
                                  ["-o", "all.dot", "--format", "svg"]])
def test_several_flows_into_one_new_file(flowctl, examples, args: list[str]) -> None:
    run = flowctl([".", *args], examples)
    assert error_line(run) == f"5 flows to draw, one file given: {args[1]}"
    assert "hint: give a folder with -o (and --format), or one flow" in run.stderr
    assert not (examples / args[1]).exists()
    assert "wrote" not in run.stderr


def test_several_flows_into_a_plain_file(flowctl, examples) -> None:
    (examples / "taken").write_text("x", encoding="utf-8")
    run = flowctl([".", "-o", "taken"], examples)
    assert error_line(run) == "taken is a file: give a folder with -o to render several flows"
    assert (examples / "taken").read_text(encoding="utf-8") == "x"


@pytest.mark.parametrize("fmt", ["mermaid", pytest.param("svg", marks=needs_dot)])
@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no-output", "dash"])
def test_several_flows_to_stdout_only_as_dot(flowctl, examples, fmt: str, output: list[str]) -> None:
    run = flowctl([".", "--format", fmt, *output], examples)
    assert error_line(run) == f"5 flows cannot share one {fmt} document"
    assert "hint: give a folder with -o, or one flow" in run.stderr


@pytest.mark.parametrize("flag", [["--lint"], ["--coverage", "cov.json"], ["--lint", "--coverage", "x"]])
def test_project_map_refuses_flow_overlays(flowctl, examples, flag: list[str]) -> None:
    (examples / "cov.json").write_text('{"flows": {}}', encoding="utf-8")
    run = flowctl(["--project", *flag, "-o", "map.dot"], examples)
    assert error_line(run) == "--lint and --coverage draw on flows, not on the project map"
    assert not (examples / "map.dot").exists()


def test_unwritable_output(flowctl, examples) -> None:
    (examples / "blocker").write_text("a file, not a folder", encoding="utf-8")
    run = flowctl(["booking", "-o", "blocker/booking.dot"], examples)
    assert run.code == 2
    assert "flowctl: error: " in run.stderr


def test_no_flow_in_an_empty_folder(flowctl, examples) -> None:
    (examples / "empty").mkdir()
    run = flowctl(["empty"], examples)
    assert error_line(run) == "no flow to render in empty"
