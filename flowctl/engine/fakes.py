"""In-process ports: scripted, deterministic, offline.  The one set used by ``simulate``,
``simulate --explore``, ``chat``, the tests and the benchmarks.

* :class:`FixedClock`: a time that moves only when told (``advance``, ``set``).
* :class:`ScriptedEndpoints`: per endpoint, one answer for every call or a sequence whose
  last answer repeats; endpoints named in ``failing`` answer 500; logical calls (counted
  by first attempts, from 0) in ``fail_calls`` fail on every attempt.  A call nothing
  answers gets ``default`` when there is one, else a failed response ``unmocked`` and a
  problem in :attr:`ScriptedEndpoints.problems`.
* :class:`ScriptedAssistant`: replies in order per assistant (the key ``None`` serves any
  assistant), then ``no_answer``; an assistant with no script goes to ``fallback`` (the
  offline knowledge-base assistant) when it has one and ``offline`` allows it, else a
  problem and ``no_answer``.
* :class:`ScriptedAgents`: agents online per department, changed with ``update``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flowctl.engine.calls import Call, Response
from flowctl.engine.ports import Assistant, AssistantQuestion, AssistantReply, Knowledge, Ports


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, seconds: float) -> None:
        """Move on by ``seconds``; past the year 9999 the clock stays at its end."""
        try:
            self.at = self.at + timedelta(seconds=seconds)
        except OverflowError:
            self.at = datetime.max.replace(tzinfo=self.at.tzinfo)


@dataclass(frozen=True)
class Canned:
    """A scripted answer; one that takes longer than the call's timeout is a timeout."""

    response: Response
    delay: float = 0.0

    def answer(self, call: Call) -> Response:
        if self.delay and self.delay > call.timeout:
            return Response(status=0, error="timeout")
        return self.response


@dataclass
class ScriptedEndpoints:
    answers: Mapping[str, Sequence[Canned]] = field(default_factory=dict)
    default: Response | None = None
    failing: set[str] = field(default_factory=set)
    fail_calls: frozenset[int] = frozenset()
    calls: list[tuple[Call, Response]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    logical: int = -1  # index of the current logical call (first attempts counted)

    def call(self, call: Call) -> Response:
        if call.attempt == 1:
            self.logical += 1
        response = self._answer(call)
        self.calls.append((call, response))
        return response

    def _answer(self, call: Call) -> Response:
        if self.logical in self.fail_calls or call.endpoint in self.failing:
            return Response(status=500, json={"error": "scripted failure"})
        answers = self.answers.get(call.endpoint)
        if answers:
            index = self.counts.get(call.endpoint, 0)
            self.counts[call.endpoint] = index + 1
            return answers[min(index, len(answers) - 1)].answer(call)
        if self.default is not None:
            return self.default
        self.problems.append(
            f"endpoint '{call.endpoint}' was called (block '{call.block}') but the visitor does "
            f"not mock it: add `mocks: {{endpoints: {{{call.endpoint}: {{status: 200, json: ...}}}}}}`"
            " (the simulator never touches the network)")
        return Response(status=0, error="unmocked")


@dataclass
class ScriptedAssistant:
    replies: Mapping[str | None, Sequence[AssistantReply]] = field(default_factory=dict)
    fallback: Assistant | None = None
    offline: Callable[[str], bool] | None = None  # which assistants the fallback answers
    used: dict[str | None, int] = field(default_factory=dict)
    given: list[AssistantReply] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def reply(self, question: AssistantQuestion) -> AssistantReply:
        key: str | None = question.assistant if question.assistant in self.replies else None
        if key in self.replies:
            index = self.used.get(key, 0)
            self.used[key] = index + 1
            script = self.replies[key]
            reply = script[index] if index < len(script) else AssistantReply(handoff="no_answer")
        elif self.fallback is not None and (self.offline is None or self.offline(question.assistant)):
            reply = self.fallback.reply(question)
        else:
            self.problems.append(
                f"assistant '{question.assistant}' (block '{question.block}') was asked a question "
                f"but the visitor does not mock it: add `mocks: {{ai: {{{question.assistant}: "
                "[\"a reply\", {handoff: no_answer}]}}`")
            reply = AssistantReply(handoff="no_answer")
        self.given.append(reply)
        return reply


@dataclass
class ScriptedAgents:
    online_by_department: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, agents: Mapping[str, Any] | None) -> ScriptedAgents:
        return cls({str(k): count(v) for k, v in (agents or {}).items()})

    def update(self, agents: Mapping[str, Any]) -> None:
        for key, value in agents.items():
            self.online_by_department[str(key)] = count(value)

    def online(self, department: str | None) -> int:
        if department is None:
            return sum(self.online_by_department.values())
        return self.online_by_department.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.online_by_department)


def count(value: Any) -> int:
    """A number of agents: a whole number of at least 0 (anything else is 0)."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


@dataclass
class FakePorts:
    """Fakes with typed handles, and the :class:`Ports` made of them."""

    clock: FixedClock
    endpoints: ScriptedEndpoints
    assistant: ScriptedAssistant
    agents: ScriptedAgents
    knowledge: Knowledge

    @property
    def problems(self) -> list[str]:
        return [*self.endpoints.problems, *self.assistant.problems]

    def ports(self) -> Ports:
        return Ports(self.clock, self.agents, self.assistant, self.knowledge, self.endpoints)
