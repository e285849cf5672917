"""What one step did, as typed records in the order it happened.

A :class:`Step` is the new state plus a log: blocks entered, edges taken (the graph's own
:class:`~flowctl.model.graph.Edge`, with the flow it belongs to), bot messages, calls for
the host to make, tags, profile fields and variables changed, a handoff requested, flows
ended, and diagnostics.  Hosts read the records; nobody parses edge-key strings (the key
is only how coverage files and analytics name an edge).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Union

from flowctl.engine.calls import Call, Response
from flowctl.engine.messages import BotMessage, FieldSpec
from flowctl.engine.state import Conversation, WaitingFor
from flowctl.model.graph import Edge


@dataclass(frozen=True, slots=True)
class Entered:
    flow: str
    block: str


@dataclass(frozen=True, slots=True)
class Took:
    """An edge taken; ``edge.kind`` is an :class:`~flowctl.model.graph.EdgeKind`."""

    flow: str
    edge: Edge


@dataclass(frozen=True, slots=True)
class Said:
    message: BotMessage


@dataclass(frozen=True, slots=True)
class CallMade:
    """A call for the host to perform (``call.awaited``: the flow waits for its answer)."""

    call: Call


@dataclass(frozen=True, slots=True)
class CallSettled:
    """The answer of an awaited call, as it was fed back (``ok`` or the final failure)."""

    call: Call
    response: Response
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class TagsChanged:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ProfileSet:
    """A visitor profile field set by a form (``name``, ``email``, ``attributes.plan``)."""

    field: str
    value: Any


@dataclass(frozen=True, slots=True)
class VariableSet:
    name: str
    value: Any


@dataclass(frozen=True, slots=True)
class HandoffRequested:
    flow: str
    block: str
    department: str | None
    priority: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class FlowEnded:
    """A flow run ended (``goto:<flow>`` when it jumped to another)."""

    flow: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something went wrong while the step ran, without stopping it.

    ``code``: ``expression`` (a template or condition failed; it rendered empty or was
    false), ``limit`` (a template went over a resource bound and rendered empty),
    ``loop`` (a flow ran too many blocks without waiting and was stopped),
    ``port`` (a port raised), ``endpoint`` (a data block names no endpoint),
    ``flow`` (a goto to a missing flow, or too many gotos), ``target`` (an edge to a
    missing block).
    """

    code: str
    message: str
    flow: str = ""
    block: str = ""


Effect = Union[Entered, Took, Said, CallMade, CallSettled, TagsChanged, ProfileSet, VariableSet,
               HandoffRequested, FlowEnded, Diagnostic]


@dataclass(frozen=True, slots=True)
class Awaiting:
    """What a waiting conversation accepts now (the runtime API's ``input``)."""

    id: str
    flow: str
    block: str
    kind: WaitingFor
    choices: tuple[str, ...] = ()
    fields: tuple[FieldSpec, ...] = ()
    free_text: bool = True  # typed text is accepted (not only a choice or a form)
    expires_at: datetime | None = None
    call: str | None = None  # the awaited call's key, for ``response``


@dataclass(frozen=True)
class Step:
    """The result of one ``start`` or ``handle``: the new state and what happened.

    ``accepted`` is false when the input changed nothing (text while a form is open, a
    timeout not yet due, a conversation that has ended); the state is then unchanged.
    """

    state: Conversation
    log: tuple[Effect, ...] = ()
    accepted: bool = True

    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def messages(self) -> list[BotMessage]:
        return [e.message for e in self.log if isinstance(e, Said)]

    @property
    def calls(self) -> list[Call]:
        return [e.call for e in self.log if isinstance(e, CallMade)]

    @property
    def trace(self) -> list[Took]:
        return [e for e in self.log if isinstance(e, Took)]

    @property
    def entered(self) -> list[Entered]:
        return [e for e in self.log if isinstance(e, Entered)]

    @property
    def outcomes(self) -> list[FlowEnded]:
        return [e for e in self.log if isinstance(e, FlowEnded)]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [e for e in self.log if isinstance(e, Diagnostic)]

    @property
    def pending(self) -> Call | None:
        """The call the conversation waits for, if any."""
        pending = self.state.pending
        return Call.from_json(pending) if pending is not None else None

    @property
    def wake_at(self) -> datetime | None:
        """When the waiting block's timeout fires (feed :class:`Elapse` then), if it has one."""
        at = self.state.expires_at
        return datetime.fromisoformat(at) if at is not None else None

    def then(self, later: Step) -> Step:
        """This step followed by ``later`` (for hosts that settle calls in one turn)."""
        return Step(later.state, self.log + later.log, self.accepted or later.accepted)
