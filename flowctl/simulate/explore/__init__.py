"""``flowctl simulate --explore``: generate visitors that cover every edge with few paths.

* :mod:`~flowctl.simulate.explore.search`: the search, driving the engine's public API.
* :mod:`~flowctl.simulate.explore.records`: bounds, paths and findings.
* :mod:`~flowctl.simulate.explore.moves`: what a visitor can do at a waiting block.
* :mod:`~flowctl.simulate.explore.setups`: contexts derived from the flow's conditions.
* :mod:`~flowctl.simulate.explore.findings`: unreached edges and broken invariants.
* :mod:`~flowctl.simulate.explore.write`: paths as visitors files.
* :mod:`~flowctl.simulate.explore.report`: printing what was found.
"""

from flowctl.simulate.explore.search import (
    Explorer,
    ExploreResult,
    Finding,
    Limits,
    Path,
    explore,
    explore_flows,
)
from flowctl.simulate.explore.write import iter_findings, visitor_of, visitors_document

__all__ = ["ExploreResult", "Explorer", "Finding", "Limits", "Path", "explore", "explore_flows",
           "iter_findings", "visitor_of", "visitors_document"]
