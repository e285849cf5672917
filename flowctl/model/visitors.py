"""Virtual visitor scripts (``*.visitors.yaml``).

Context values, form answers and expected variables are visitor-supplied *data*: they are
kept as deep-frozen JSON values (:class:`Data`), never evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

from flowctl.model.blocks import Ref
from flowctl.model.flow import EventRef
from flowctl.model.span import SourceSpan

Data = Any  # a JSON value frozen with :func:`freeze`: FrozenMap, tuple, str, number...


class FrozenMap(dict[str, Any]):
    """A read-only mapping that pickles (model objects cross process boundaries)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("visitor data is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda item: item[0])))


def freeze(value: Any) -> Data:
    if isinstance(value, dict):
        return FrozenMap({str(k): freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Data) -> Any:
    if isinstance(value, MappingProxyType | dict):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class MockResponse:
    span: SourceSpan
    status: int = 200
    json: Data = None
    text: str | None = None
    headers: Data = None
    delay: float = 0.0
    timeout: bool = False
    error: str | None = None  # "connection"


@dataclass(frozen=True, slots=True)
class EndpointMock:
    endpoint: Ref
    responses: tuple[MockResponse, ...]  # a sequence; the last repeats


@dataclass(frozen=True, slots=True)
class AIReply:
    span: SourceSpan
    text: str | None = None
    handoff: str | None = None


@dataclass(frozen=True, slots=True)
class AIMock:
    assistant: Ref
    replies: tuple[AIReply, ...]


@dataclass(frozen=True, slots=True)
class Mocks:
    endpoints: tuple[EndpointMock, ...] = ()
    ai: tuple[AIMock, ...] = ()


@dataclass(frozen=True, slots=True)
class BotStep:
    """Expect the next bot message: text as a glob or ``/regex/``, and optionally more."""

    span: SourceSpan
    text: str | None = None
    choices: tuple[str, ...] | None = None
    buttons: tuple[str, ...] | None = None
    image: str | None = None
    kind: str | None = None  # message type: text, choices, form, articles, handoff...


@dataclass(frozen=True, slots=True)
class SayStep:
    text: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class ClickStep:
    label: str
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class FormStep:
    values: Data
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class WaitStep:
    seconds: float
    span: SourceSpan


@dataclass(frozen=True, slots=True)
class AgentsStep:
    agents: Data  # department -> int
    span: SourceSpan


Step = Union[BotStep, SayStep, ClickStep, FormStep, WaitStep, AgentsStep]


@dataclass(frozen=True, slots=True)
class ExpectedRequest:
    endpoint: Ref
    span: SourceSpan
    method: str | None = None
    body: Data = None
    query: Data = None
    headers: Data = None


@dataclass(frozen=True, slots=True)
class Expect:
    span: SourceSpan
    started: bool | None = None
    flow: Ref | None = None
    outcome: str | None = None
    department: Ref | None = None
    tags: tuple[str, ...] | None = None
    variables: Data = None
    visitor: Data = None
    requests: tuple[ExpectedRequest, ...] | None = None
    path: tuple[Ref, ...] | None = None


@dataclass(frozen=True, slots=True)
class Visitor:
    name: str
    span: SourceSpan
    event: EventRef | None = None
    now: str | None = None
    agents: Data = None
    context: Data = None
    mocks: Mocks = field(default_factory=Mocks)
    steps: tuple[Step, ...] = ()
    expect: Expect | None = None


@dataclass(frozen=True)
class VisitorFile:
    span: SourceSpan  # start of the file
    visitors: tuple[Visitor, ...]
    flow: Ref | None = None

    @property
    def file(self) -> str:
        return self.span.file
