"""What every diff reporter (text, JSON, markdown) is told: the names of the two sides and
whether to colour.  On its own so that :mod:`flowctl.diff.report`, which dispatches to
:mod:`flowctl.diff.markdown`, and the markdown reporter both import it without a cycle."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DiffReportOptions:
    base: str = "before"
    head: str = "after"
    color: bool = False
