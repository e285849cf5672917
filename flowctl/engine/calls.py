"""Outgoing calls: what a data block asks a host to send, and the retry policy every host
applies.

The engine never sends anything.  A data block yields a :class:`Call` (in the step's log,
and in ``state.pending`` when the flow needs the answer); the host sends it, asks
:func:`next_attempt` after each failed attempt whether and when to try again, and feeds the
final :class:`Response` back as :class:`~flowctl.engine.inputs.Responded`.  The simulator
(mocked answers, no waiting) and the server (an outbox and a worker) apply the same
policy, so a mock sequence ``[503, 200]`` means there what a flaky CRM means here.

Retried: timeouts, connection errors, 429 and 5xx.  Not retried: other 4xx, a call the
egress guard refused, a call to an unknown endpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: Seconds before the second attempt; each later attempt waits twice as long.
BACKOFF_BASE = 1.0
#: The longest wait between two attempts, and the most of a ``Retry-After`` honoured.
BACKOFF_MAX = 60.0
#: Transport failures worth another attempt (the endpoint may answer next time).
RETRYABLE_ERRORS = frozenset({"timeout", "connection"})


@dataclass(frozen=True, slots=True)
class Call:
    """One outgoing HTTP call of a data block (``attempt`` counts from 1).

    ``key`` is the idempotency key ``<conversation id>:<block id>:<visit>``: the same for
    every attempt and across restarts, different for each time the block is entered.
    ``awaited``: the conversation waits for the answer (the block saves it or has an
    ``on_error``); otherwise the flow went on and the call is delivered in the background.
    ``secrets``: the only ``${NAME}`` references a host may resolve in the url and headers,
    those written in the endpoint's definition in flowctl.yaml; a ``${...}`` that a visitor's
    text put there is left as it is.
    """

    key: str
    endpoint: str
    method: str
    url: str
    body: Any = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    retries: int = 0  # attempts after the first
    block: str = ""
    flow: str = ""
    attempt: int = 1
    awaited: bool = False
    secrets: tuple[str, ...] = ()  # the ${NAME}s the endpoint's own url and headers reference

    def retry(self) -> Call:
        """The same call, one attempt later."""
        return replace(self, attempt=self.attempt + 1)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Call:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["secrets"] = tuple(values.get("secrets") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Response:
    """What one attempt got back.  ``error`` names a transport failure (``timeout``,
    ``connection``, ``egress_refused``...), with ``status`` 0."""

    status: int = 200
    json: Any = None
    error: str | None = None
    retry_after: float | None = None  # seconds, from the Retry-After header

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 400

    @property
    def retryable(self) -> bool:
        if self.error is not None:
            return self.error in RETRYABLE_ERRORS
        return self.status >= 500 or self.status == 429

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Response:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def call_key(conversation: str, block: str, visit: int) -> str:
    """The idempotency key of the ``visit``-th entry into ``block`` in a conversation."""
    return f"{conversation}:{block}:{visit}"


def next_attempt(call: Call, response: Response) -> float | None:
    """Seconds to wait before attempting ``call`` again after ``response``; ``None`` when
    ``response`` is final (a success, a failure not worth retrying, or no retries left).

    Exponential backoff from :data:`BACKOFF_BASE`, capped at :data:`BACKOFF_MAX`, with
    "equal jitter" (between half and all of the step) drawn from the call's key and
    attempt: deterministic, so the simulator and tests see the same waits, yet spread
    across conversations.  A ``Retry-After`` is honoured when it asks for longer (up to
    :data:`BACKOFF_MAX`).
    """
    if response.ok or not response.retryable or call.attempt > call.retries:
        return None
    step = min(BACKOFF_BASE * 2 ** (call.attempt - 1), BACKOFF_MAX)
    digest = hashlib.sha256(f"{call.key}#{call.attempt}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 0xFFFFFFFF
    delay = step / 2 + step / 2 * fraction
    if response.retry_after is not None and response.retry_after > delay:
        delay = min(float(response.retry_after), BACKOFF_MAX)
    return round(delay, 3)
