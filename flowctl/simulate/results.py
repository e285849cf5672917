"""What a simulation found: records per visitor, per file and for the project."""

from __future__ import annotations

from dataclasses import dataclass, field

from flowctl.engine.effects import Effect, Entered, FlowEnded
from flowctl.engine.host import Exchange
from flowctl.engine.state import Conversation
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan


@dataclass
class Failure:
    message: str
    span: SourceSpan
    diff: str = ""  # unified diff of expected and actual transcript (step mismatches)

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column


@dataclass
class Turn:
    """One line of the transcript: who (``bot``, ``you``, ``time``, ``agents``, ``note``)."""

    who: str
    text: str
    block: str | None = None


@dataclass
class VisitorResult:
    file: str
    name: str
    span: SourceSpan
    failures: list[Failure] = field(default_factory=list)
    started: str | None = None  # the flow that started
    would_start: bool | None = None  # with `flow:`: would its start condition have held?
    start_reasons: dict[str, str] = field(default_factory=dict)
    state: Conversation | None = None
    transcript: list[Turn] = field(default_factory=list)
    trace: list[Effect] = field(default_factory=list)  # every step's log, in order
    exchanges: list[Exchange] = field(default_factory=list)  # every call attempt

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def flow(self) -> str | None:
        return self.started

    @property
    def outcome(self) -> str | None:
        return self.state.outcome if self.state is not None and self.state.ended else None

    @property
    def path(self) -> list[str]:
        """The blocks entered, in order, across flows."""
        return [e.block for e in self.trace if isinstance(e, Entered)]

    @property
    def flows(self) -> list[str]:
        """The flows run, in order (a goto adds one)."""
        out: list[str] = []
        for effect in self.trace:
            if isinstance(effect, Entered) and (not out or out[-1] != effect.flow):
                out.append(effect.flow)
        return out

    @property
    def outcomes(self) -> list[FlowEnded]:
        return [e for e in self.trace if isinstance(e, FlowEnded)]


@dataclass
class FileResult:
    file: str
    visitors: list[VisitorResult]


@dataclass
class SimulationResult:
    files: list[FileResult]
    project: Project

    @property
    def visitors(self) -> list[VisitorResult]:
        return [v for f in self.files for v in f.visitors]

    @property
    def passed(self) -> int:
        return sum(1 for v in self.visitors if v.passed)

    @property
    def failed(self) -> int:
        return sum(1 for v in self.visitors if not v.passed)
