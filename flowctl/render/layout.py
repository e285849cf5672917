"""Layout help computed before Graphviz runs: layers, and connectors for long edges."""

from __future__ import annotations

from flowctl.render.diagram import Diagram, Node, legend_for

LONG_EDGE = 10  # an edge spanning more layers than this, into a shared block, gets a connector


def layers(diagram: Diagram) -> dict[str, int]:
    """A longest-path layering of the diagram (back edges of loops ignored): roughly the rank
    Graphviz gives each node, known before any layout runs."""
    succ: dict[str, list[str]] = {node.id: [] for node in diagram.nodes}
    for edge in diagram.edges:
        if edge.source in succ and edge.target in succ:
            succ[edge.source].append(edge.target)
    order: list[str] = []  # reverse post-order of an iterative DFS = a topological order
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    for root in succ:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(succ[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[node] = 2
                order.append(node)
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ[child])))
            elif state[child] == 1:
                back.add((node, child))
    layer = dict.fromkeys(succ, 0)
    for node in reversed(order):
        for child in succ[node]:
            if (node, child) not in back:
                layer[child] = max(layer[child], layer[node] + 1)
    return layer


def add_connectors(diagram: Diagram, max_span: int = LONG_EDGE) -> int:
    """Replace each edge that would run across more than ``max_span`` layers into a block
    that other edges also enter with a short edge to a connector ("→ block"), as paper
    flowcharts do.  Keeps big diagrams readable and Graphviz fast: routing long edges is what
    makes ``dot`` slow (quadratic in the length).  The edge keeps its key and classes, so the
    overlays still find it.  Returns how many connectors were added."""
    layer = layers(diagram)
    incoming: dict[str, int] = {}
    for edge in diagram.edges:
        incoming[edge.target] = incoming.get(edge.target, 0) + 1
    added = 0
    for edge in diagram.edges:
        if edge.source not in layer or edge.target not in layer or incoming[edge.target] < 2:
            continue
        if abs(layer[edge.target] - layer[edge.source]) <= max_span:
            continue
        target = diagram.node(edge.target)
        assert target is not None
        added += 1
        connector = Node(f"__to__{added}__{edge.target}", "connector", [f"→ {edge.target}"],
                         tooltip=f"continues at {edge.target}")
        diagram.nodes.append(connector)
        edge.target = connector.id
    if added:
        diagram.legend = legend_for(n.kind for n in diagram.nodes)
    return added
