"""What ``flowctl simulate PATHS`` runs: the visitors files and flows the paths name, and
which flows its coverage counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from flowctl.model.flow import Flow
from flowctl.model.project import Project
from flowctl.simulate.coverage import Coverage, compute
from flowctl.simulate.results import SimulationResult


@dataclass(frozen=True)
class Selection:
    """``asked``: display paths named; ``flow_files``: the flow files among them; ``files``:
    the visitors files to run (named, or of a named flow); ``whole``: no paths were given."""

    asked: frozenset[str]
    flow_files: frozenset[str]
    files: tuple[str, ...]
    whole: bool

    @classmethod
    def of(cls, project: Project, requested: Sequence[Path], whole: bool) -> Selection:
        from flowctl.loader.project import display_path, kind_of

        asked = frozenset(display_path(p) for p in requested)
        flow_files = frozenset(display_path(p) for p in requested if kind_of(p) == "flow")
        flow_ids = {flow.id for flow in project.flows if flow.file in flow_files}
        files = tuple(sorted(vf.file for vf in project.visitor_files
                             if vf.file in asked or (vf.flow is not None and vf.flow.name in flow_ids)))
        return cls(asked, flow_files, files, whole)

    def explore_targets(self, project: Project) -> list[Flow]:
        """The flows to explore: those named, else those of the visitors files named, else all."""
        named = [f for f in project.flows if f.file in self.flow_files]
        if named or self.whole:
            return named or list(project.flows)
        of_files = {vf.flow.name for vf in project.visitor_files if vf.file in self.asked and vf.flow}
        return [f for f in project.flows if f.id in of_files]

    def coverage(self, project: Project, result: SimulationResult) -> Coverage:
        """Coverage of the flows named, those the visitors files target, and every flow a
        visitor ran (all flows when no paths were given)."""
        covered = {flow.id for flow in project.flows if flow.file in self.flow_files}
        if self.whole:
            covered |= {flow.id for flow in project.flows}
        for vf in project.visitor_files:
            if vf.file in self.files and vf.flow is not None:
                covered.add(vf.flow.name)
        for visitor in result.visitors:
            covered.update(visitor.flows)
        order = [flow.id for flow in project.flows if flow.id in covered]
        return compute(project, [v.trace for v in result.visitors], order)
