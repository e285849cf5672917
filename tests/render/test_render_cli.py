"""``flowctl render`` on the command line: formats, targets, outputs, coverage and lint."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from .helpers import SVG_NS, dot_edges, dot_nodes, html_text, needs_dot, parse_dot, png_size, svg_titles

EXAMPLES = ["booking", "feedback", "lead-qualification", "onboarding", "support-triage"]


def check_svg(data: bytes) -> None:
    assert ET.fromstring(data).tag == f"{SVG_NS}svg"
    assert {"intro", "fetch_slots"} <= svg_titles(data)


def check_png(data: bytes) -> None:
    width, height = png_size(data)
    assert width > 100 and height > 100


def check_pdf(data: bytes) -> None:
    assert data.startswith(b"%PDF-")


def check_dot(data: bytes) -> None:
    text = data.decode("utf-8")
    assert text.startswith('digraph "booking" {')
    assert {"intro", "fetch_slots"} <= set(dot_nodes(parse_dot(text)))


def check_mermaid(data: bytes) -> None:
    text = data.decode("utf-8")
    assert "\nflowchart TD\n" in text and "    n_intro" in text
    assert "digraph" not in text


SUFFIXES = [
    pytest.param(".svg", check_svg, marks=needs_dot), pytest.param(".SVG", check_svg, marks=needs_dot),
    pytest.param(".png", check_png, marks=needs_dot), pytest.param(".pdf", check_pdf, marks=needs_dot),
    (".dot", check_dot), (".gv", check_dot), (".mmd", check_mermaid), (".mermaid", check_mermaid),
]


@pytest.mark.parametrize(("suffix", "check"), SUFFIXES)
def test_format_from_suffix(flowctl, examples, suffix: str, check) -> None:
    run = flowctl(["booking.flow.yaml", "-o", f"out/booking{suffix}"], examples)
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert run.stderr.strip() == f"wrote out/booking{suffix}"  # the folder was created
    check((examples / "out" / f"booking{suffix}").read_bytes())


@pytest.mark.parametrize(("fmt", "check"), [("mermaid", check_mermaid), ("dot", check_dot)])
def test_format_option_for_a_file_without_a_known_suffix(flowctl, examples, fmt: str, check) -> None:
    run = flowctl(["booking", "-o", "booking.txt", "--format", fmt], examples)
    assert run.code == 0, run.stderr
    check((examples / "booking.txt").read_bytes())


@pytest.mark.parametrize(("fmt", "output", "check"), [
    ("mermaid", "booking.mmd", check_mermaid), ("dot", "booking.gv", check_dot),
    pytest.param("svg", "booking.SVG", check_svg, marks=needs_dot)])
def test_format_option_that_agrees_with_the_suffix(flowctl, examples, fmt: str, output: str,
                                                   check) -> None:
    run = flowctl(["booking", "-o", output, "--format", fmt], examples)
    assert run.code == 0, run.stderr
    check((examples / output).read_bytes())


def test_dot_to_stdout_by_default(flowctl, examples) -> None:
    run = flowctl(["booking.flow.yaml"], examples)
    assert run.code == 0, run.stderr
    check_dot(run.stdout_bytes)
    assert flowctl(["booking.flow.yaml", "-o", "-"], examples).stdout == run.stdout


def test_mermaid_to_stdout(flowctl, examples) -> None:
    run = flowctl(["booking.flow.yaml", "--format", "mermaid"], examples)
    assert run.code == 0, run.stderr
    check_mermaid(run.stdout_bytes)
    assert run.stdout.startswith('---\ntitle: "booking: Book a demo or onboarding call"\n---\n')


def test_flow_id_as_target(flowctl, examples) -> None:
    run = flowctl(["lead-qualification", "-o", "lead.dot"], examples)
    assert run.code == 0, run.stderr
    assert (examples / "lead.dot").read_text(encoding="utf-8").startswith('digraph "lead-qualification"')


def test_flow_id_from_a_subfolder(flowctl, examples) -> None:
    (examples / "sub").mkdir()
    run = flowctl(["onboarding"], examples / "sub")  # the project is found above
    assert run.code == 0, run.stderr
    assert run.stdout.startswith('digraph "onboarding"')


def test_folder_target_writes_one_file_per_flow(flowctl, examples) -> None:
    run = flowctl([".", "-o", "diagrams"], examples)
    assert run.code == 0, run.stderr
    written = sorted(p.name for p in (examples / "diagrams").iterdir())
    assert written == [f"{name}.dot" for name in EXAMPLES]
    for name in EXAMPLES:
        text = (examples / "diagrams" / f"{name}.dot").read_text(encoding="utf-8")
        assert text.startswith(f'digraph "{name}" {{')
    assert run.stderr.count("wrote ") == len(EXAMPLES)


@needs_dot
def test_folder_target_as_svg(flowctl, examples) -> None:
    run = flowctl([".", "-o", "svg", "--format", "svg"], examples)
    assert run.code == 0, run.stderr
    for name in EXAMPLES:
        root = ET.fromstring((examples / "svg" / f"{name}.svg").read_bytes())
        assert root.tag == f"{SVG_NS}svg"


@needs_dot
@pytest.mark.parametrize("output", [[], ["-o", "-"]], ids=["no-output", "dash"])
def test_svg_to_stdout(flowctl, examples, output: list[str]) -> None:
    """SVG is text: it can be printed like DOT and Mermaid."""
    run = flowctl(["booking", "--format", "svg", *output], examples)
    assert run.code == 0, run.stderr
    check_svg(run.stdout_bytes)
    assert "wrote" not in run.stderr


@needs_dot
def test_one_flow_of_a_folder_as_svg_to_stdout(flowctl, examples) -> None:
    (examples / "one").mkdir()
    (examples / "booking.flow.yaml").rename(examples / "one" / "booking.flow.yaml")
    run = flowctl(["one", "--format", "svg"], examples)
    assert run.code == 0, run.stderr
    check_svg(run.stdout_bytes)


def test_folder_target_to_stdout_prints_every_flow(flowctl, examples) -> None:
    run = flowctl(["."], examples)
    assert run.code == 0, run.stderr
    assert [line for line in run.stdout.splitlines() if line.startswith("digraph ")] == [
        f'digraph "{name}" {{' for name in EXAMPLES]


def test_project_map_to_stdout(flowctl, examples) -> None:
    run = flowctl(["--project"], examples)
    assert run.code == 0, run.stderr
    graph = parse_dot(run.stdout)
    assert {f"flow:{name}" for name in EXAMPLES} <= set(dot_nodes(graph))
    assert ("flow:onboarding", "flow:booking") in {(s, t) for s, t, _ in dot_edges(graph)}


@needs_dot
def test_project_map_as_svg(flowctl, examples) -> None:
    run = flowctl(["--project", "-o", "map.svg"], examples)
    assert run.code == 0, run.stderr
    data = (examples / "map.svg").read_bytes()
    assert {f"flow:{name}" for name in EXAMPLES} <= svg_titles(data)
    assert "flow:onboarding->flow:booking" in svg_titles(data, "edge")


def edges_by_key(dot_text: str) -> dict[str, dict[str, str]]:
    return {a["tooltip"]: a for _, _, a in dot_edges(parse_dot(dot_text)) if "tooltip" in a}


def test_coverage_from_a_real_simulate_run(flowctl, covered) -> None:
    root, coverage, data = covered
    counts = data["flows"]["booking"]["edges"]
    assert 0 in counts.values() and any(counts.values())  # partly covered, through onboarding
    run = flowctl(["booking", "--coverage", str(coverage)], root)
    assert run.code == 0, run.stderr
    drawn = edges_by_key(run.stdout)
    assert drawn
    uncovered = 0
    for key, attrs in drawn.items():
        if counts[key] == 0:
            uncovered += 1
            assert "uncovered" in attrs["class"].split(), key
            assert attrs["color"] == "#D32F2F" and float(attrs["penwidth"]) >= 2.5
        else:
            assert attrs["class"] == "covered", key
            assert " ".join(attrs["label"].split()).endswith(f"×{counts[key]}")
    assert uncovered == sum(1 for key in drawn if counts[key] == 0) > 0
    assert "never taken (coverage)" in run.stdout


def test_fully_covered_flow_has_no_red(flowctl, covered) -> None:
    root, coverage, data = covered
    assert data["flows"]["feedback"]["covered_edges"] == data["flows"]["feedback"]["total_edges"]
    run = flowctl(["feedback", "--coverage", str(coverage)], root)
    assert run.code == 0, run.stderr
    assert "uncovered" not in run.stdout and "#D32F2F" not in run.stdout
    assert all(a["class"] == "covered" for a in edges_by_key(run.stdout).values())


def test_coverage_without_the_flow_is_a_note(flowctl, covered, tmp_path) -> None:
    root, _, data = covered
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"version": 1, "flows": {"booking": data["flows"]["booking"]}}),
                       encoding="utf-8")
    run = flowctl(["feedback", "--coverage", str(partial)], root)
    assert run.code == 0
    assert f"note: {partial} has no coverage for flow 'feedback'" in run.stderr
    assert "covered" not in run.stdout
    assert run.stdout.startswith('digraph "feedback"')  # still drawn, without the overlay


def test_coverage_of_a_folder_notes_each_flow_without_counts(flowctl, covered, tmp_path) -> None:
    root, _, data = covered
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"version": 1, "flows": {"booking": data["flows"]["booking"]}}),
                       encoding="utf-8")
    out = tmp_path / "out"
    run = flowctl([".", "--coverage", str(partial), "-o", str(out)], root)
    assert run.code == 0, run.stderr
    notes = sorted(line for line in run.stderr.splitlines() if line.startswith("note: "))
    assert notes == [f"note: {partial} has no coverage for flow '{name}'"
                     for name in EXAMPLES if name != "booking"]
    assert "uncovered" in (out / "booking.dot").read_text(encoding="utf-8")
    assert "covered" not in (out / "feedback.dot").read_text(encoding="utf-8")


def test_lint_overlay(flowctl, fixtures) -> None:
    run = flowctl(["defects", "--lint"], fixtures)
    assert run.code == 0, run.stderr
    nodes = dot_nodes(parse_dot(run.stdout))
    assert nodes["route"]["class"] == "lint-error"
    assert html_text(nodes["route"]["label"]).endswith("V001 X004")
    assert nodes["to_support"]["class"] == "lint-warning"
    assert html_text(nodes["to_support"]["label"]).endswith("X003")
    assert "class" not in nodes["to_sales"]


def test_without_lint_no_outline(flowctl, fixtures) -> None:
    run = flowctl(["defects"], fixtures)
    assert run.code == 0, run.stderr
    assert "lint-" not in run.stdout and "X003" not in run.stdout


def test_output_ending_in_a_slash_is_a_folder_even_for_one_flow(flowctl, tmp_path) -> None:
    import shutil

    from .helpers import FLOWS

    shutil.copy(FLOWS / "flowctl.yaml", tmp_path)
    shutil.copy(FLOWS / "feedback.flow.yaml", tmp_path)
    run = flowctl([".", "-o", "out/", "--format", "mermaid"], tmp_path)
    assert run.code == 0, run.stderr
    assert (tmp_path / "out" / "feedback.mmd").read_text(encoding="utf-8").count("flowchart TD") == 1
