"""The diagrams the README shows must be what `flowctl render` draws today (`make images`).

The DOT text is ours and deterministic, so it must match byte for byte.  The SVG comes from
the machine's Graphviz, whose layout depends on its version and fonts, so the SVG is checked
by what it says: the same node and edge titles and the same text, in the same order.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flowctl.loader.project import load_project
from flowctl.render import flow_diagram, project_diagram, to_dot

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
SVG = "{http://www.w3.org/2000/svg}"
STALE = "docs/images is stale: run `make images`"


def current_dots() -> dict[str, str]:
    project, _ = load_project([ROOT / "flows"])
    booking = project.flow("booking")
    assert booking is not None
    return {"booking": to_dot(flow_diagram(booking)), "flow-map": to_dot(project_diagram(project))}


def svg_words(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return [(element.text or "").strip() for element in root.iter()
            if element.tag in (f"{SVG}title", f"{SVG}text")]


@pytest.mark.parametrize("name", ["booking", "flow-map"])
def test_dot_is_current(name: str) -> None:
    assert (IMAGES / f"{name}.dot").read_text(encoding="utf-8") == current_dots()[name], STALE


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
@pytest.mark.parametrize("name", ["booking", "flow-map"])
def test_svg_is_current(name: str) -> None:
    fresh = subprocess.run(["dot", "-Tsvg"], input=current_dots()[name].encode(), check=True,
                           capture_output=True).stdout
    committed = (IMAGES / f"{name}.svg").read_bytes()
    words = svg_words(fresh)
    assert len(words) > 20
    assert svg_words(committed) == words, STALE


def test_readme_shows_the_images() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/images/booking.svg)" in readme
    assert "](docs/images/flow-map.svg)" in readme
