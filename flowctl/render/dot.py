"""Graphviz DOT text for a :class:`~flowctl.render.diagram.Diagram`, written by hand.

Node labels are HTML-like (``label=<...>``) so that notes can be small and italic; every
piece of user text in them is entity-escaped.  Edge labels are double-quoted strings with
backslashes, quotes and newlines escaped.  Every id is quoted.  Output order follows the
diagram (start, blocks in file order, ends), so the same flow always gives the same text.
"""

from __future__ import annotations

import re
import textwrap

from flowctl.render.diagram import (
    KIND_STYLES,
    OVERLAY_COLOURS,
    Diagram,
    DiagramEdge,
    Node,
)
from flowctl.render.words import wrap

FONT = "Helvetica"
EDGE_COLOUR = "#455A64"
EDGE_LABEL_WIDTH = 22
#: The words a node marked by ``flowctl diff`` carries, so the mark does not rest on colour alone.
CHANGE_MARKS = {"added": "+ added", "removed": "− removed", "changed": "~ changed"}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(text: str) -> str:
    """``text`` without control characters (Graphviz rejects them; they carry no meaning in a
    diagram): each becomes U+FFFD."""
    return _CONTROL.sub("\ufffd", str(text))


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes, quotes and line breaks escaped."""
    text = printable(text).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{text}"'


def html(text: str) -> str:
    """Text for inside an HTML-like label.  Graphviz expands escapes such as ``\\N`` (the node's
    name) even there, after reading entities, so a backslash is written as two, as entities."""
    return (printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\\", "&#92;&#92;").replace("\n", " ")
            .replace("\r", " ").replace("\t", " "))


class Html(str):
    """An HTML-like label, written ``<...>`` instead of quoted."""


def _attrs(pairs: list[tuple[str, str]]) -> str:
    parts = []
    for name, value in pairs:
        if isinstance(value, Html):
            parts.append(f"{name}={value}")
        else:
            parts.append(f"{name}={quote(value)}")
    return "[" + ", ".join(parts) + "]"


def node_label(node: Node) -> str:
    title, *details = node.lines or [node.id]
    rows = [f"<b>{html(title or node.id or '(no id)')}</b>"]
    rows += [html(line) for line in details if line.strip()]
    if node.note:
        for line in wrap(node.note, 34, max_lines=3):
            rows.append(f'<font point-size="9" color="#546E7A"><i>{html(line)}</i></font>')
    if node.badges:
        level = next((c for c in ("lint-error", "lint-warning", "lint-info") if c in node.classes),
                     "lint-warning")
        colour = OVERLAY_COLOURS[level]
        rows.append(f'<font color="{colour}"><b>{html(" ".join(node.badges))}</b></font>')
    for mark in CHANGE_MARKS:
        if mark in node.classes:
            words = CHANGE_MARKS[mark] + (f" · {node.mark_note}" if node.mark_note else "")
            rows.append(f'<font color="{OVERLAY_COLOURS[mark]}"><b>{html(words)}</b></font>')
    return Html("<" + "<br/>".join(rows) + ">")


def node_attrs(node: Node) -> list[tuple[str, str]]:
    style = node.style
    styles = style.dot_style.split(",")
    colour, penwidth, fontcolor = style.border, "1.2", "#212121"
    for mark in ("uncovered", "lint-info", "lint-warning", "lint-error", "changed", "added", "removed"):
        if mark in node.classes:
            colour, penwidth = OVERLAY_COLOURS[mark], "3"
    if "uncovered" in node.classes and "dashed" not in styles:
        styles.append("dashed")
    if "removed" in node.classes:
        fontcolor = "#9E9E9E"
        if "dashed" not in styles:
            styles.append("dashed")
    attrs = [("label", node_label(node)), ("shape", style.dot_shape), ("style", ",".join(styles)),
             ("fillcolor", style.fill), ("color", colour), ("penwidth", penwidth)]
    if fontcolor != "#212121":
        attrs.append(("fontcolor", fontcolor))
    if node.kind == "question":
        attrs.append(("peripheries", "2"))  # a double border: the flow waits for the visitor
    if node.kind == "branch":
        attrs.append(("margin", "0.05"))
    if node.classes:
        attrs.append(("class", " ".join(sorted(node.classes))))
    if node.tooltip:
        attrs.append(("tooltip", node.tooltip))
    return attrs


def edge_attrs(edge: DiagramEdge) -> list[tuple[str, str]]:
    attrs: list[tuple[str, str]] = []
    label = edge.full_label
    if label:
        attrs.append(("label", "\n".join(textwrap.wrap(label, EDGE_LABEL_WIDTH)) or label))
    colour, penwidth = EDGE_COLOUR, 1.2
    if edge.style == "dashed":
        attrs.append(("style", "dashed"))
    if edge.kind == "goto":
        colour, penwidth = KIND_STYLES["goto"].border, 2.0
    if edge.weight is not None:
        penwidth = 1.0 + 5.0 * edge.weight
    for mark in ("covered", "changed", "added", "removed", "uncovered"):
        if mark in edge.classes:
            colour = OVERLAY_COLOURS[mark]
            if mark in ("uncovered", "added", "removed", "changed"):
                penwidth = max(penwidth, 2.5)
    attrs += [("color", colour), ("penwidth", f"{penwidth:g}")]
    if colour != EDGE_COLOUR:
        attrs.append(("fontcolor", colour))
    if "removed" in edge.classes and edge.style != "dashed":
        attrs.append(("style", "dotted"))
    if edge.classes:
        attrs.append(("class", " ".join(sorted(edge.classes))))
    if edge.key:
        attrs.append(("tooltip", edge.key))
    return attrs


LEGEND_OVERLAYS = {"uncovered": "never taken (coverage)", "lint-error": "lint error",
                   "lint-warning": "lint warning", "lint-info": "lint info", "added": "added",
                   "removed": "removed", "changed": "changed"}


LEGEND_PER_ROW = 7


def _swatch(fill: str, border: str, width: int = 1) -> str:
    fill_attr = f' bgcolor="{fill}"' if fill else ""
    return f'<td{fill_attr} color="{border}" border="{width}" width="16" height="10"> </td>'


def legend_items(diagram: Diagram) -> list[tuple[str, str, str]]:
    """(swatch cell, label, label colour) for every node kind, overlay and the dashed edge."""
    items = []
    for item in diagram.legend:
        style = KIND_STYLES[item.kind]
        items.append((_swatch(style.fill, style.border), item.label, ""))
    overlays = sorted({c for n in diagram.nodes for c in n.classes}
                      | {c for e in diagram.edges for c in e.classes})
    for mark in overlays:
        if mark in LEGEND_OVERLAYS:
            colour = OVERLAY_COLOURS[mark]
            items.append((_swatch("", colour, 2), LEGEND_OVERLAYS[mark], colour))
    return items


def graph_label(diagram: Diagram, legend: bool) -> str:
    """The title, and under it the legend as a table a few items wide (so that it never
    stretches a rank of the flow itself)."""
    title = f'<font point-size="16">{html(diagram.title or diagram.id or "(untitled)")}</font>'
    items = legend_items(diagram) if legend and diagram.legend else []
    dashed = legend and diagram.dashed_legend
    if not items and not dashed:
        return Html(f"<{title}>")
    rows = []
    for start in range(0, len(items), LEGEND_PER_ROW):
        cells = []
        for swatch, label, colour in items[start:start + LEGEND_PER_ROW]:
            text = html(label)
            if colour:
                text = f'<font color="{colour}">{text}</font>'
            cells.append(f'{swatch}<td align="left">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    if dashed:
        rows.append(f'<tr><td>- - &gt;</td><td align="left" colspan="{2 * LEGEND_PER_ROW - 1}">'
                    "dashed: invalid answer, no reply, call failed, no agent online</td></tr>")
    table = ('<table border="1" color="#B0BEC5" cellborder="0" cellspacing="3" cellpadding="2" '
             'style="rounded"><tr><td colspan="' + str(2 * LEGEND_PER_ROW)
             + '" align="left"><font point-size="9"><b>Legend</b></font></td></tr>'
             + "".join(rows) + "</table>")
    return Html(f'<<table border="0" cellspacing="4"><tr><td>{title}</td></tr>'
                f'<tr><td><font point-size="9">{table}</font></td></tr></table>>')


def to_dot(diagram: Diagram, *, legend: bool = True) -> str:
    """The DOT text of ``diagram`` (deterministic: same diagram, same text)."""
    out = [
        f"digraph {quote(diagram.id)} {{",
        f"  graph [rankdir=TB, label={graph_label(diagram, legend)}, labelloc=t, fontsize=16, "
        f"fontname={quote(FONT)}, nodesep=0.35, ranksep=0.45, newrank=true, "
        'bgcolor="white", pad=0.3];',
        f'  node [fontname={quote(FONT)}, fontsize=11, margin="0.14,0.06"];',
        f"  edge [fontname={quote(FONT)}, fontsize=9, arrowsize=0.7];",
    ]
    for node in diagram.nodes:
        out.append(f"  {quote(node.id)} {_attrs(node_attrs(node))};")
    for edge in diagram.edges:
        out.append(f"  {quote(edge.source)} -> {quote(edge.target)} {_attrs(edge_attrs(edge))};")
    out.append("}")
    return "\n".join(out) + "\n"
