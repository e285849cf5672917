"""``flowctl diff``: what a change does to the flows, block by block.

:mod:`flowctl.diff.sources` reads the two sides (git revisions, the working tree or files),
:mod:`flowctl.diff.semantic` compares them (a pure function over model objects) and
:mod:`flowctl.diff.report` prints the result as text, JSON or markdown.
"""

from flowctl.diff.semantic import (
    BlockDiff,
    EdgeChange,
    FieldChange,
    FlowDiff,
    Move,
    ProjectDiff,
    diff_projects,
)

__all__ = ["BlockDiff", "EdgeChange", "FieldChange", "FlowDiff", "Move", "ProjectDiff",
           "diff_projects"]
