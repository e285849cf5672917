"""Real Graphviz: every example flow as SVG and PNG, one PDF, a 300-block flow; dot's errors."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from flowctl.errors import ConfigError, FlowctlError
from flowctl.model.problem import Severity
from flowctl.render import FORMATS, find_dot, flow_diagram, render, run_dot, to_dot
from flowctl.render.graphviz import INSTALL_HINT, TIMEOUT

from .helpers import (
    FLOWS,
    REPO,
    dot_nodes,
    flow,
    load,
    needs_dot,
    parse_dot,
    png_size,
    svg_titles,
)

EXAMPLES = sorted(p.name.removesuffix(".flow.yaml") for p in FLOWS.glob("*.flow.yaml"))


def test_there_are_example_flows() -> None:
    assert len(EXAMPLES) == 5


@needs_dot
@pytest.mark.parametrize("flow_id", EXAMPLES)
def test_example_flow_as_svg(flow_id: str) -> None:
    model = flow(flow_id, FLOWS)
    diagram = flow_diagram(model)
    svg = render(diagram, "svg")
    titles = svg_titles(svg)
    assert {block.id for block in model.blocks} <= titles
    assert titles == {node.id for node in diagram.nodes}
    assert svg_titles(svg, "edge") == {f"{e.source}->{e.target}" for e in diagram.edges}


@needs_dot
@pytest.mark.parametrize("flow_id", EXAMPLES)
def test_example_flow_as_png(flow_id: str) -> None:
    data = render(flow_diagram(flow(flow_id, FLOWS)), "png")
    width, height = png_size(data)
    assert width > 100 and height > 100
    assert data.endswith(b"IEND\xaeB`\x82")


@needs_dot
def test_example_flow_as_pdf() -> None:
    data = render(flow_diagram(flow("onboarding", FLOWS)), "pdf")
    assert data.startswith(b"%PDF-")
    assert b"%%EOF" in data[-64:]


def test_formats() -> None:
    assert FORMATS == ("dot", "mermaid", "svg", "png", "pdf")


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as error:
        render(flow_diagram(flow("onboarding", FLOWS)), "jpeg")
    assert "unknown format 'jpeg'" in error.value.message
    assert "dot, mermaid, svg, png, pdf" in (error.value.hint or "")


def test_run_dot_only_makes_binary_formats() -> None:
    with pytest.raises(ConfigError, match="cannot produce 'dot'"):
        run_dot("digraph { a }", "dot")


@needs_dot
def test_invalid_dot_text_is_a_flowctl_error() -> None:
    with pytest.raises(FlowctlError, match=r"^Graphviz `dot` failed: .*syntax error"):
        run_dot("digraph { a -> }", "svg")


def test_no_dot_on_path_says_how_to_install(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError) as error:
        find_dot()
    assert "`dot` was not found on PATH" in error.value.message
    assert error.value.hint == INSTALL_HINT
    assert "apt-get install graphviz" in INSTALL_HINT and "brew install graphviz" in INSTALL_HINT
    with pytest.raises(ConfigError, match="Graphviz is not installed"):
        render(flow_diagram(flow("onboarding", FLOWS)), "svg")


def test_text_formats_need_no_graphviz(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    diagram = flow_diagram(flow("onboarding", FLOWS))
    assert render(diagram, "dot").startswith(b'digraph "onboarding" {')
    assert b"flowchart TD" in render(diagram, "mermaid")


@pytest.mark.skipif(not Path("/bin/sleep").exists(), reason="needs /bin/sleep for a fake dot")
def test_dot_that_hangs_is_stopped(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\nexec /bin/sleep 5\n", encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    started = time.monotonic()
    with pytest.raises(FlowctlError, match=r"took longer than 0\.5s and was stopped"):
        run_dot("digraph { a }", "svg", timeout=0.5)
    assert time.monotonic() - started < 4


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh for a fake dot")
def test_dot_error_message_is_its_first_stderr_line(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'Error: first line' >&2\necho second >&2\nexit 3\n",
                    encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FlowctlError) as error:
        run_dot("digraph { a }", "png")
    assert error.value.message == "Graphviz `dot` failed: Error: first line"


def _bench_module():
    spec = importlib.util.spec_from_file_location("flowctl_bench_render", REPO / "bench" / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big_flow(tmp_path_factory):
    """The 300-block flow of bench/render.py, in a project with the endpoint it calls."""
    root = tmp_path_factory.mktemp("bench")
    (root / "flowctl.yaml").write_text(
        "project: bench\ntimezone: Europe/Berlin\nendpoints:\n  crm: {url: https://crm.test}\n",
        encoding="utf-8")
    (root / "bench.flow.yaml").write_text(_bench_module().flow_text(300), encoding="utf-8")
    model = flow("bench-render", root)
    assert len(model.blocks) == 300
    assert not [p for p in load(root).load_problems if p.severity == Severity.ERROR]
    return model


def test_300_block_generated_flow_gives_valid_dot(big_flow) -> None:
    diagram = flow_diagram(big_flow)
    nodes = dot_nodes(parse_dot(to_dot(diagram)))
    assert {block.id for block in big_flow.blocks} <= set(nodes)
    assert len(diagram.edges) > 400


@needs_dot
def test_300_block_generated_flow_renders_to_svg(big_flow) -> None:
    diagram = flow_diagram(big_flow)
    started = time.monotonic()
    svg = render(diagram, "svg")  # flowctl's own time limit (graphviz.TIMEOUT) applies
    assert time.monotonic() - started < TIMEOUT
    assert svg_titles(svg) == {node.id for node in diagram.nodes}
    assert {block.id for block in big_flow.blocks} <= svg_titles(svg)
    assert svg_titles(svg, "edge") == {f"{e.source}->{e.target}" for e in diagram.edges}
