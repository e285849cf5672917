"""Shared helpers of the render tests: fixture paths, loading flows, reading DOT, SVG and PNG."""

from __future__ import annotations

import html
import re
import shutil
import struct
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pydot
import pytest

from flowctl.loader.project import load_project
from flowctl.model.flow import Flow
from flowctl.model.project import Project

REPO = Path(__file__).resolve().parents[2]
FLOWS = REPO / "flows"
DATA = Path(__file__).resolve().parent / "data"
PROJECT = DATA / "project"
SVG_NS = "{http://www.w3.org/2000/svg}"

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None,
    reason="Graphviz `dot` is not on PATH (apt-get install graphviz): SVG/PNG/PDF need it")


def load(folder: Path = PROJECT) -> Project:
    project, _ = load_project([folder])
    return project


def flow(flow_id: str, folder: Path = PROJECT) -> Flow:
    found = load(folder).flow(flow_id)
    assert found is not None, f"no flow {flow_id} in {folder}"
    return found


def unquote(value: str | None) -> str:
    """A pydot ID or attribute value as plain text (DOT quotes and escapes removed)."""
    if value is None:
        return ""
    value = str(value)
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])
    return value


def html_text(label: str) -> str:
    """The visible text of an HTML-like label ``<...>``, read as Graphviz does: tags dropped,
    lines joined by \\n, entities decoded, then ``\\\\`` taken as one backslash."""
    assert label.startswith("<") and label.endswith(">"), label
    inner = label[1:-1].replace("<br/>", "\n")
    return html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("\\\\", "\\")


def parse_dot(text: str) -> pydot.Dot:
    with warnings.catch_warnings():  # pydot's parser uses deprecated pyparsing names
        warnings.simplefilter("ignore", DeprecationWarning)
        graphs = pydot.graph_from_dot_data(text)
    assert graphs and len(graphs) == 1, "pydot could not parse the DOT text"
    return graphs[0]


DEFAULTS = {"graph", "node", "edge"}  # pydot lists the attribute statements as nodes


def dot_nodes(graph: pydot.Dot) -> dict[str, dict[str, str]]:
    """Node id -> its attributes, the values unquoted (HTML labels are kept as ``<...>``)."""
    out = {}
    for node in graph.get_nodes():
        if node.get_name() in DEFAULTS:
            continue
        out[unquote(node.get_name())] = {k: unquote(v) for k, v in node.get_attributes().items()}
    return out


def dot_edges(graph: pydot.Dot) -> list[tuple[str, str, dict[str, str]]]:
    return [(unquote(e.get_source()), unquote(e.get_destination()),
             {k: unquote(v) for k, v in e.get_attributes().items()}) for e in graph.get_edges()]


def svg_titles(svg: bytes, kind: str = "node") -> set[str]:
    """The <title> of every ``<g class="{kind}">`` of a Graphviz SVG."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    titles = set()
    for group in root.iter(f"{SVG_NS}g"):
        if group.get("class") == kind:
            title = group.find(f"{SVG_NS}title")
            assert title is not None and title.text
            titles.add(title.text)
    return titles


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
