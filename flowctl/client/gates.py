"""The gates ``flowctl publish`` passes before it talks to a runtime.

- The lint gate checks what is published (flowctl.yaml and the flows; the server lints the
  same files with the same code): any error stops the publish.
- The simulate gate checks the visitors files (any lint error in one stops it: a broken test
  proves nothing) and runs every visitor: all must pass.  Visitors files are not published,
  so ``--no-tests`` skips this gate and them entirely.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowctl.lint.runner import LintResult
    from flowctl.model.project import Project
    from flowctl.simulate.results import SimulationResult


def _errors(result: LintResult) -> int:
    from flowctl.model.problem import Severity

    return result.count(Severity.ERROR)


@dataclass(frozen=True)
class LintGate:
    """The lint of the published files."""

    result: LintResult
    flows: int

    @property
    def errors(self) -> int:
        return _errors(self.result)

    @property
    def warnings(self) -> int:
        from flowctl.model.problem import Severity

        return self.result.count(Severity.WARNING)

    @property
    def passed(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class SimulateGate:
    """``broken``: the lint errors of the visitors files (then nothing ran); ``result``: the
    visitors' run."""

    files: int
    broken: LintResult | None = None
    result: SimulationResult | None = None

    @property
    def passed(self) -> bool:
        return self.broken is None and (self.result is None or self.result.failed == 0)


def _kind(name: str) -> str | None:
    from flowctl.loader.project import kind_of

    return kind_of(Path(name))


def lint_gate(project: Project) -> LintGate:
    from flowctl.lint.runner import lint_project

    published = [name for name in project.sources if _kind(name) != "visitors"]
    return LintGate(lint_project(project, published), len(project.flows))


def simulate_gate(project: Project) -> SimulateGate:
    from flowctl.lint.runner import LintResult, lint_project
    from flowctl.model.problem import Severity
    from flowctl.simulate.runner import run_project

    visitors = [name for name in project.sources if _kind(name) == "visitors"]
    if not visitors:
        return SimulateGate(0)
    checked = lint_project(project, visitors)
    errors = [p for p in checked.problems if p.severity >= Severity.ERROR]
    if errors:
        return SimulateGate(len(visitors), LintResult(errors, checked.files, checked.sources))
    return SimulateGate(len(visitors), result=run_project(project))
