from __future__ import annotations

from pathlib import Path

from flowctl.model.graph import edges
from flowctl.simulate.coverage import compute

from .helpers import simulate, write_project
from .test_runner import FOLLOWUP, SHOP


def test_counts_across_visitors_and_goto(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p", {"shop": SHOP, "followup": FOLLOWUP}, {"shop": """\
        flow: shop
        visitors:
          - name: small
            steps: [{click: 1-10}]
          - name: small again
            steps: [{click: 1-10}]
          - name: quiet
            steps: [{click: 200+}, {wait: 600}]
        """})
    project, result = simulate(root)
    assert result.failed == 0, [v.failures for v in result.visitors]
    coverage = compute(project, [v.trace for v in result.visitors])
    shop = coverage.flows["shop"]
    assert shop.blocks["greet"] == 3
    assert shop.blocks["small"] == 2
    assert shop.blocks["quiet"] == 1
    assert shop.blocks["push"] == 0
    assert shop.edges["ask_size -fallthrough-> small"] == 2
    assert shop.edges["ask_size -choice[200+]-> contact"] == 1
    assert shop.edges["contact -on_timeout-> quiet"] == 1
    assert shop.total_edges == len(edges(project.flow("shop")))  # type: ignore[arg-type]
    covered = {k for k, n in shop.edges.items() if n}
    assert shop.covered_edges == len(covered)
    assert shop.percent == round(100 * len(covered) / shop.total_edges, 1)
    uncovered = {e.key for e in shop.uncovered}
    assert "push -next-> route" not in covered
    assert "route -default-> later" in uncovered
    for edge in shop.uncovered:
        assert edge.span.file.endswith("shop.flow.yaml") and edge.span.line > 1
    # the block after the goto belongs to the flow it jumped to
    followup = coverage.flows["followup"]
    assert followup.blocks == {"bye": 1}
    assert followup.edges == {"bye -end-> (end)": 1}
    assert followup.percent == 100.0
    data = coverage.to_json()
    assert data["version"] == 1
    assert set(data["flows"]["shop"]) >= {"file", "edges", "blocks", "covered_edges",
                                          "total_edges", "percent"}
    assert coverage.under(90) == [shop]
