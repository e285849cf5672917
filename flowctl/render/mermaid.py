"""Mermaid ``flowchart TD`` text for a :class:`~flowctl.render.diagram.Diagram`.

Node ids are made safe (``n_`` + the id with other characters replaced: Mermaid reserves
``end``); labels are always double-quoted with ``"``, ``<``, ``>``, ``#`` and ``&`` written
as Mermaid entities.  Colours come from ``classDef`` lines, one per node kind and overlay.
"""

from __future__ import annotations

import json
import re

from flowctl.render.diagram import KIND_STYLES, OVERLAY_COLOURS, Diagram, Node
from flowctl.render.dot import CHANGE_MARKS

SHAPES: dict[str, tuple[str, str]] = {
    "round": ("(", ")"),
    "subroutine": ("[[", "]]"),
    "lean_right": ("[/", "/]"),
    "lean_left": ("[\\", "\\]"),
    "hexagon": ("{{", "}}"),
    "cylinder": ("[(", ")]"),
    "rhombus": ("{", "}"),
    "asymmetric": (">", "]"),
    "trapezoid": ("[/", "\\]"),
    "inv_trapezoid": ("[\\", "/]"),
    "stadium": ("([", "])"),
    "rect": ("[", "]"),
}


def escape(text: str) -> str:
    """Text for inside a double-quoted Mermaid label."""
    out = str(text).replace("#", "#35;").replace("&", "#amp;")
    return (out.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("\n", " "))


def _ids(diagram: Diagram) -> dict[str, str]:
    ids: dict[str, str] = {}
    used: set[str] = set()
    for node in diagram.nodes:
        base = "n_" + re.sub(r"[^A-Za-z0-9_]", "_", node.id)
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        ids[node.id] = candidate
    return ids


def _label(node: Node) -> str:
    title, *details = node.lines or [node.id]
    rows = [f"<b>{escape(title)}</b>", *(escape(line) for line in details)]
    if node.note:
        rows.append(f"<small><i>{escape(node.note)}</i></small>")
    if node.badges:
        rows.append(f"<b>{escape(' '.join(node.badges))}</b>")
    for mark, words in CHANGE_MARKS.items():
        if mark in node.classes:
            note = f" · {node.mark_note}" if node.mark_note else ""
            rows.append(f"<b>{escape(words + note)}</b>")
    return "<br/>".join(rows)


def _class_name(name: str) -> str:
    """A class name that is never a Mermaid keyword (``end``): ``k_`` + the kind."""
    return "k_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def to_mermaid(diagram: Diagram, *, legend: bool = True) -> str:
    """The Mermaid text of ``diagram`` (deterministic), with a legend subgraph: one small
    node per kind drawn, in its shape and colours."""
    ids = _ids(diagram)
    out = ["flowchart TD"]
    if diagram.title:
        out.insert(0, f"---\ntitle: {json.dumps(diagram.title, ensure_ascii=False)}\n---")
    for node in diagram.nodes:
        opening, closing = SHAPES[node.style.mermaid_shape]
        out.append(f'    {ids[node.id]}{opening}"{_label(node)}"{closing}')
    link_styles: list[str] = []
    index = -1  # Mermaid numbers the links in the order they are written
    for edge in diagram.edges:
        if edge.source not in ids or edge.target not in ids:
            continue
        index += 1
        label = edge.full_label
        a, b = ids[edge.source], ids[edge.target]
        if edge.style == "dashed":
            arrow = f'-. "{escape(label)}" .->' if label else "-.->"
        else:
            arrow = f'-- "{escape(label)}" -->' if label else "-->"
        out.append(f"    {a} {arrow} {b}")
        styles = []
        for mark in ("covered", "changed", "added", "removed", "uncovered"):
            if mark in edge.classes:
                styles = [f"stroke:{OVERLAY_COLOURS[mark]}"]
                if mark != "covered":
                    styles.append("stroke-width:3px")
        if edge.weight is not None:
            styles = [s for s in styles if not s.startswith("stroke-width")]
            styles.append(f"stroke-width:{1 + 5 * edge.weight:.1f}px")
        if styles:
            link_styles.append(f"    linkStyle {index} {','.join(styles)}")
    out += link_styles
    kinds = sorted({node.kind for node in diagram.nodes})
    if legend and diagram.legend:
        out.append('    subgraph legend ["Legend"]')
        out.append("        direction LR")
        for item in diagram.legend:
            opening, closing = SHAPES[KIND_STYLES[item.kind].mermaid_shape]
            out.append(f'        legend_{_class_name(item.kind)}{opening}"{escape(item.label)}"'
                       f"{closing}:::{_class_name(item.kind)}")
        out.append("    end")
    for kind in kinds:
        style = KIND_STYLES[kind]
        dash = ",stroke-dasharray:4 3" if "dashed" in style.dot_style else ""
        out.append(f"    classDef {_class_name(kind)} fill:{style.fill},stroke:{style.border},"
                   f"color:#212121{dash}")
    marks = sorted({c for n in diagram.nodes for c in n.classes} & set(OVERLAY_COLOURS))
    for mark in marks:
        dash = ",stroke-dasharray:5 3" if mark in ("uncovered", "removed") else ""
        out.append(f"    classDef {_class_name(mark)} stroke:{OVERLAY_COLOURS[mark]},"
                   f"stroke-width:3px{dash}")
    for kind in kinds:
        members = [ids[n.id] for n in diagram.nodes if n.kind == kind]
        out.append(f"    class {','.join(members)} {_class_name(kind)}")
    for mark in marks:
        members = [ids[n.id] for n in diagram.nodes if mark in n.classes]
        out.append(f"    class {','.join(members)} {_class_name(mark)}")
    return "\n".join(out) + "\n"
