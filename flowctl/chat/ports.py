"""The engine's ports for a chat in the terminal: a settable clock, canned endpoints,
agents the user changes with ``/agents``, and the offline knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flowctl.engine.ports import Request, Response


class SettableClock:
    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now = self._now + timedelta(seconds=seconds)


@dataclass
class CannedEndpoints:
    """Every call succeeds with 200 and ``{}`` unless a response is given or it is failing."""

    responses: dict[str, Response] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    calls: list[tuple[Request, Response]] = field(default_factory=list)

    def call(self, request: Request) -> Response:
        if request.endpoint in self.failing:
            response = Response(status=500, json=None)
        else:
            response = self.responses.get(request.endpoint, Response(status=200, json={}))
        self.calls.append((request, response))
        return response


@dataclass
class SettableAgents:
    online_by_department: dict[str, int] = field(default_factory=dict)

    def online(self, department: str | None) -> int:
        if department is None:
            return sum(self.online_by_department.values())
        return self.online_by_department.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.online_by_department)
