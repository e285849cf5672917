"""What a rule may look at: the project, plus facts computed once and shared by rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowctl.model.flow import Flow
from flowctl.model.graph import Edge, adjacency
from flowctl.model.project import Project, ProjectConfig


@dataclass
class LintContext:
    project: Project
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def config(self) -> ProjectConfig | None:
        return self.project.config

    def adjacency(self, flow: Flow) -> dict[str, list[Edge]]:
        return adjacency(flow)  # cached per flow by the graph module

    def memo(self, name: str, flow: Flow, compute: Any) -> Any:
        key = (name, flow.file + "#" + flow.id)
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]
