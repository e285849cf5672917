"""What explore works with and returns: its bounds, the paths it grew, what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flowctl.engine import AssistantReply, BotMessage, Conversation, Effect, Entered, Exchange
from flowctl.model.flow import Flow
from flowctl.model.span import SourceSpan
from flowctl.simulate.explore.moves import Move
from flowctl.simulate.explore.setups import Setup


@dataclass
class Limits:
    max_paths: int = 200
    max_moves: int = 200  # moves (visitor actions) per path
    max_visits: int = 2  # loop unrolling: times a path may enter the same block
    max_messages: int = 5  # bot messages in a row without a chance to reply
    max_states: int = 5000  # distinct (merged) conversation states explored per flow
    time_limit: float = 20.0  # seconds of exploring per flow


#: The flag that raises each budget explore can stop at.
BUDGET_FLAGS = {"states": "--max-states", "time": "--time-limit", "paths": "--max-paths"}


@dataclass
class Path:
    setup: Setup
    moves: list[Move] = field(default_factory=list)
    state: Conversation | None = None
    covered: set[str] = field(default_factory=set)
    outputs: list[list[list[BotMessage]]] = field(default_factory=list)  # per move, per input
    exchanges: list[Exchange] = field(default_factory=list)
    ai_replies: list[AssistantReply] = field(default_factory=list)
    trace: list[Effect] = field(default_factory=list)
    truncated: bool = False

    @property
    def blocks(self) -> list[str]:
        """The blocks entered, in order (all flows)."""
        return [e.block for e in self.trace if isinstance(e, Entered)]


@dataclass(frozen=True)
class Finding:
    message: str
    span: SourceSpan


@dataclass
class ExploreResult:
    flow: Flow
    paths: list[Path]
    start_time: datetime
    total_edges: int
    covered: set[str]
    unreached: list[Finding]
    violations: list[Finding]
    states: int = 0  # distinct conversation states explored (equivalent ones merged)
    budget: str | None = None  # the budget the search stopped at (a BUDGET_FLAGS key), if any
    unexplored: int = 0  # edges left unexplored because of that budget (not reported one by one)
    limits: Limits | None = None
