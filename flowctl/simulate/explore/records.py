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
    max_moves: int = 60  # moves (visitor actions) per path
    max_visits: int = 2  # loop unrolling: times a path may enter the same block
    max_messages: int = 5  # bot messages in a row without a chance to reply


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
