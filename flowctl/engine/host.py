"""Performing a step's calls in process: the host loop of the simulator, chat and explore.

:func:`settle` sends every call a step made through ``ports.endpoints``, attempt after
attempt as :func:`~flowctl.engine.calls.next_attempt` says (without sleeping: an in-process
host answers at once), and feeds the final answer of an awaited call back to the engine,
until the conversation no longer waits for a response.  The server does the same with an
outbox and a worker instead, applying the same policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flowctl.engine.calls import Call, Response, next_attempt
from flowctl.engine.effects import CallMade, Step
from flowctl.engine.inputs import Responded
from flowctl.engine.ports import Ports
from flowctl.engine.state import WaitingFor

if TYPE_CHECKING:
    from flowctl.engine.engine import Engine

#: Awaited calls one settle may feed back before it stops (a flow calling in a loop).
MAX_SETTLED_CALLS = 1_000


@dataclass(frozen=True)
class Exchange:
    """One attempt of a call and what it got."""

    call: Call
    response: Response


@dataclass
class Settled:
    """The step with every awaited answer fed back, and each attempt made."""

    step: Step
    exchanges: list[Exchange] = field(default_factory=list)


def perform(call: Call, ports: Ports) -> tuple[Response, list[Exchange]]:
    """Every attempt of ``call`` the retry policy allows; the final response."""
    exchanges: list[Exchange] = []
    attempt = call
    while True:
        try:
            response = ports.endpoints.call(attempt)
        except Exception as error:  # a port failure is a failed response
            response = Response(status=0, error=f"{type(error).__name__}: {error}")
        exchanges.append(Exchange(attempt, response))
        if next_attempt(attempt, response) is None:
            return response, exchanges
        attempt = attempt.retry()


def settle(engine: Engine, step: Step, context: Mapping[str, Any], ports: Ports) -> Settled:
    """Perform the calls ``step`` made and feed back the awaited answers, in order."""
    settled = Settled(step)
    done = 0  # calls of the log already performed
    for _ in range(MAX_SETTLED_CALLS):
        made = [e.call for e in settled.step.log if isinstance(e, CallMade)]
        for call in made[done:]:
            response, exchanges = perform(call, ports)
            settled.exchanges.extend(exchanges)
            state = settled.step.state
            if call.awaited and state.waiting_for == WaitingFor.RESPONSE \
                    and state.pending and state.pending.get("key") == call.key:
                done = len(made)
                answer = engine.handle(state, Responded(call.key, response, len(exchanges)),
                                       context, ports)
                settled.step = settled.step.then(answer)
                break
        else:
            return settled
    return settled
