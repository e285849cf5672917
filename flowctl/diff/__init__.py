"""``flowctl diff``: what a change does to the flows, block by block.

:mod:`flowctl.diff.sources` reads the two sides (git revisions, the working tree or files),
:mod:`flowctl.diff.semantic` compares them (pure functions over model objects, with
:mod:`flowctl.diff.matching` for renames and moves and :mod:`flowctl.diff.represent` for
comparable values) into the records of :mod:`flowctl.diff.result`, and
:mod:`flowctl.diff.report` (text, JSON) and :mod:`flowctl.diff.markdown` print them, as
:mod:`flowctl.diff.options` says;
:mod:`flowctl.diff.render` draws before and after diagrams.
"""

from flowctl.diff.result import BlockDiff, EdgeChange, FieldChange, FlowDiff, Move, ProjectDiff
from flowctl.diff.semantic import diff_projects, diff_sides

__all__ = ["BlockDiff", "EdgeChange", "FieldChange", "FlowDiff", "Move", "ProjectDiff",
           "diff_projects", "diff_sides"]
