"""Generate virtual visitors that cover every edge of a flow with few paths.

The engine itself is the oracle: explore runs the real interpreter, and at every point
where a visitor could act (a question, a form, an assistant turn) or an endpoint could
answer, it tries each option on a copy of the state and keeps the one that covers the
most edges not yet covered, steering by graph distance towards the nearest uncovered
edge.  Paths grow until the flow ends or a bound is hit; new paths are added until every
reachable edge is covered.  So a flow of twelve two-way questions needs a few paths per
question, not 4,096.

Context values come from the comparisons in branch and start conditions (the same
analysis lint uses to find impossible conditions): for each clause an assignment that
makes it true, and one that makes it false.  Every path is checked for invariants: it ends
in ``end``, ``escalate`` or ``goto``; no more than ``max_messages`` bot messages pass
without a chance to reply; and an escalation is reachable from every free-text question.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flowctl.engine.inputs import Click, Elapse, Input, Say, SubmitForm
from flowctl.engine.interpreter import Interpreter, Step
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.engine.ports import AssistantReply, Ports, Request, Response
from flowctl.engine.state import ENDED, Conversation
from flowctl.engine.validation import validate
from flowctl.model.blocks import (
    AIBlock,
    BranchBlock,
    EscalateBlock,
    FormBlock,
    FormField,
    QuestionBlock,
)
from flowctl.model.flow import Flow
from flowctl.model.graph import adjacency, can_reach, edges
from flowctl.model.project import Project
from flowctl.model.span import SourceSpan

DEFAULT_NOW = "2026-01-05T10:00:00"  # a Monday morning: inside most business hours


@dataclass
class Limits:
    max_paths: int = 200
    max_moves: int = 60  # moves (visitor actions) per path
    max_visits: int = 2  # loop unrolling: times a path may enter the same block
    max_messages: int = 5  # bot messages in a row without a chance to reply


@dataclass
class Setup:
    """What a generated visitor starts with."""

    label: str
    context: dict[str, Any] = field(default_factory=dict)
    agents: dict[str, int] = field(default_factory=dict)
    now: datetime | None = None  # None: the explorer's start time


@dataclass
class Move:
    """One visitor action (or the start), with the endpoint and assistant answers it meets."""

    label: str
    inputs: list[Input] = field(default_factory=list)  # empty for the start
    wait: float = 0.0  # seconds the clock advances before the inputs
    fail_calls: frozenset[int] = frozenset()  # logical endpoint calls (0-based) that fail
    ai: list[AssistantReply] = field(default_factory=list)
    agents: dict[str, int] | None = None  # agent availability changes before the inputs


@dataclass
class Path:
    setup: Setup
    moves: list[Move] = field(default_factory=list)
    state: Conversation | None = None
    covered: set[str] = field(default_factory=set)
    outputs: list[list[list[dict[str, Any]]]] = field(default_factory=list)  # per move, per input
    requests: list[tuple[Request, Response]] = field(default_factory=list)
    ai_replies: list[AssistantReply] = field(default_factory=list)
    truncated: bool = False


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


# -- ports for exploring ----------------------------------------------------------------------


class _Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class _Endpoints:
    """Answers every call; the logical calls named in ``fail`` fail on every attempt."""

    def __init__(self) -> None:
        self.fail: frozenset[int] = frozenset()
        self.logical = -1

    def call(self, request: Request) -> Response:
        if request.attempt == 1:
            self.logical += 1
        if self.logical in self.fail:
            return Response(status=500, json={"error": "explore: simulated failure"})
        return Response(status=200, json={})


class _Assistant:
    def __init__(self) -> None:
        self.queue: list[AssistantReply] = []
        self.used: list[AssistantReply] = []

    def reply(self, assistant: str, message: str, **_: Any) -> AssistantReply:
        reply = self.queue.pop(0) if self.queue else AssistantReply(handoff="no_answer")
        self.used.append(reply)
        return reply


class _Agents:
    def __init__(self, departments: dict[str, int]) -> None:
        self.map = dict(departments)

    def online(self, department: str | None) -> int:
        return sum(self.map.values()) if department is None else self.map.get(department, 0)

    def departments(self) -> dict[str, int]:
        return dict(self.map)


# -- answers ------------------------------------------------------------------------------------

_VALID = {
    "text": ["I would like some help with my account, please"],
    "email": ["ada@example.com"],
    "phone": ["+4930901820"],
    "number": ["42"],
    "integer": ["42"],
    "date": ["2026-12-01"],
    "url": ["https://example.com"],
    "yes_no": ["yes", "no"],
}
_INVALID = {
    "text": ["?"],
    "email": ["not an email"],
    "phone": ["call me maybe"],
    "number": ["a lot"],
    "integer": ["4.5"],
    "date": ["someday"],
    "url": ["not a url"],
    "yes_no": ["perhaps"],
    "regex": ["\u2603"],
    "choice": ["something else entirely"],
}
_REGEX_TRIES = ["ABC123", "abc", "12345", "A1", "AB-1234", "ada@example.com", "2026-12-01",
                "hello world", "X", "1", "a1b2c3", "DE89370400440532013000"]


def _valid_answers(block: QuestionBlock, region: str | None,
                   thresholds: tuple[str, ...] = ()) -> list[str]:
    if block.expect == "regex":
        candidates = _REGEX_TRIES
    elif block.expect == "number" or block.expect == "integer":
        low = block.min if block.min is not None else 42
        candidates = [*thresholds, str(int(low) if float(low).is_integer() else low), "42", "1"]
    elif block.expect == "text" and (block.min is not None or block.max is not None):
        size = int(block.min or 1)
        candidates = ["x" * max(size, 1), _VALID["text"][0]]
    else:
        candidates = _VALID.get(block.expect, [])
    out = []
    for answer in candidates:
        if validate(block, answer, region=region).ok and answer not in out:
            out.append(answer)
            if block.expect != "yes_no" and not thresholds:
                break
    return out


def _invalid_answer(block: QuestionBlock, region: str | None) -> str | None:
    kind = "choice" if block.expect == "choice" else block.expect
    for answer in [*_INVALID.get(kind, []), "\u2603", "?"]:
        if not validate(block, answer, region=region).ok:
            return answer
    return None


def _field_value(form_field: FormField) -> Any:
    if form_field.options:
        return form_field.options[0]
    return {"email": "ada@example.com", "phone": "+4930901820", "number": "42",
            "date": "2026-12-01", "checkbox": True}.get(form_field.type, "Ada")


def _options(block: Any, state: Conversation, context: dict[str, Any],
             thresholds: dict[str, tuple[str, ...]] | None = None) -> list[Move]:
    """The moves a visitor can make while the flow waits at ``block``."""
    region = (context.get("visitor") or {}).get("country")
    moves: list[Move] = []
    if isinstance(block, QuestionBlock):
        for choice in block.choices:
            moves.append(Move(f"click {choice.label}", [Click(choice.label)]))
        if not block.choices or block.allow_other or block.expect not in ("choice", "text"):
            wanted = (thresholds or {}).get(block.save.name, ()) if block.save else ()
            for answer in _valid_answers(block, region, wanted):
                if not any(m.inputs and getattr(m.inputs[0], "label", None) == answer for m in moves):
                    moves.append(Move(f"answer {answer!r}", [Say(answer)]))
        if block.validated:
            bad = _invalid_answer(block, region)
            if bad is not None:
                count = block.retries + 1 - state.attempts
                moves.append(Move(f"{count} invalid answers", [Say(bad)] * max(count, 1)))
        if block.timeout is not None:
            moves.append(Move(f"silence for {block.timeout:g} s", [Elapse()], wait=block.timeout))
    elif isinstance(block, FormBlock):
        values = {f.name: _field_value(f) for f in block.form_fields}
        moves.append(Move("submit the form", [SubmitForm(values)]))
        if block.timeout is not None:
            moves.append(Move(f"leave the form for {block.timeout:g} s", [Elapse()],
                              wait=block.timeout))
    elif isinstance(block, AIBlock):
        for reason in block.handoff_when:
            if reason == "max_turns":
                replies = [AssistantReply(text=f"Answer {n + 1}.") for n in range(block.max_turns)]
                moves.append(Move(f"{block.max_turns} questions to the assistant",
                                  [Say(f"Question {n + 1}?") for n in range(block.max_turns)],
                                  ai=replies))
            else:
                moves.append(Move(f"assistant hands back: {reason}", [Say("Can you help me?")],
                                  ai=[AssistantReply(handoff=reason)]))
    return moves


# -- context from conditions ----------------------------------------------------------------------


def _assign(context: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = context
    for part in parts[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            target[part] = nxt
        target = nxt
    target[parts[-1]] = value


def _satisfy(atom: Any, truth: bool) -> tuple[str, Any] | None:
    """A (path, value) that makes ``atom`` true (or false); None when none is derivable."""
    op, value, path = atom.op, atom.value, atom.path
    if path is None or "(" in path:
        return None
    if not truth:
        op = {"eq": "ne", "ne": "eq", "in": "notin", "notin": "in", "lt": "gteq", "gteq": "lt",
              "gt": "lteq", "lteq": "gt", "truthy": "falsy", "falsy": "truthy"}.get(op, op)
    if op == "eq":
        return path, value
    if op == "ne":
        if isinstance(value, bool):
            return path, not value
        if isinstance(value, int | float):
            return path, value + 1
        return path, f"not-{value}"
    if op == "in":
        return (path, value[0]) if isinstance(value, list | tuple) and value else None
    if op == "notin":
        return path, "none-of-these"
    if op in ("lt", "lteq", "gt", "gteq") and isinstance(value, int | float):
        delta = {"lt": -1, "lteq": 0, "gt": 1, "gteq": 0}[op]
        return path, value + delta
    if op == "truthy":
        return path, True
    if op == "falsy":
        return path, False
    return None


def _split_agents(context: dict[str, Any], departments: list[str]) -> dict[str, int] | None:
    """Move ``agents.*`` assignments out of a context into per-department counts."""
    agents = context.pop("agents", None)
    if not isinstance(agents, dict):
        return None
    counts = {d: 1 for d in departments}
    online = agents.get("online")
    if isinstance(online, int | float) and not isinstance(online, bool):
        per = max(int(online), 0)
        counts = {d: (per if i == 0 else 0) for i, d in enumerate(departments)} or {"any": per}
    for name, value in (agents.get("departments") or {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            counts[name] = max(int(value), 0)
    return counts


def _condition_setups(flow: Flow, base: dict[str, Any]) -> list[Setup]:
    from flowctl.expr.dnf import condition_dnf

    setups: list[Setup] = []
    seen: set[str] = set()
    conditions = []
    if flow.start is not None and flow.start.when is not None:
        conditions.append(("start", flow.start.when))
    for block in flow.blocks:
        if isinstance(block, BranchBlock):
            for number, case in enumerate(block.cases, 1):
                conditions.append((f"{block.id} case {number}", case.when))
    for where, condition in conditions:
        for truth in (True, False):
            for clause in condition_dnf(condition, negate=not truth)[:4]:
                context = copy.deepcopy(base)
                ok = True
                for atom in clause:
                    assignment = _satisfy(atom, True)
                    if assignment is None:
                        ok = False
                        break
                    _assign(context, *assignment)
                if not ok:
                    continue
                key = json.dumps(context, sort_keys=True, default=str)
                if key not in seen:
                    seen.add(key)
                    setups.append(Setup(f"{where} {'true' if truth else 'false'}", context))
    return setups


# -- the search -----------------------------------------------------------------------------------


class Explorer:
    def __init__(self, project: Project, flow: Flow, limits: Limits | None = None,
                 now: str = DEFAULT_NOW) -> None:
        self.project = project
        self.flow = flow
        self.limits = limits or Limits()
        timezone = project.config.timezone.name if project.config and project.config.timezone else "UTC"
        start = datetime.fromisoformat(now)
        self.start_time = start if start.tzinfo else start.replace(tzinfo=ZoneInfo(timezone))
        self.departments = sorted(r.name for r in project.config.departments) if project.config else []
        self.all_edges = {e.key: e for e in edges(flow)}
        self._wants: list[tuple[str, list[tuple[Any, ...]], bool]] | None = None
        self._numbers: dict[str, tuple[str, ...]] | None = None
        self._fallbacks = any(isinstance(b, EscalateBlock) and b.when_unavailable is not None
                              for b in flow.blocks)

    def _thresholds(self) -> dict[str, tuple[str, ...]]:
        """Numbers each variable is compared with in branch conditions, and either side."""
        if self._numbers is None:
            numbers: dict[str, list[str]] = {}
            for _, clauses, _ in self._branch_wants():
                for clause in clauses:
                    for atom in clause:
                        value = atom.value
                        if isinstance(value, int | float) and not isinstance(value, bool):
                            for candidate in (value - 1, value, value + 1):
                                text = str(int(candidate)) if float(candidate).is_integer() \
                                    else str(candidate)
                                numbers.setdefault(atom.path, [])
                                if text not in numbers[atom.path]:
                                    numbers[atom.path].append(text)
            self._numbers = {k: tuple(v) for k, v in numbers.items()}
        return self._numbers

    def _useful(self, uncovered: set[str]) -> set[str]:
        """Uncovered edges, and edges that lead towards one of them in the graph."""
        from flowctl.model.graph import reachable

        sources = {self.all_edges[k].source for k in uncovered if k in self.all_edges}
        useful = set(uncovered)
        for key, edge in self.all_edges.items():
            if edge.target is not None and reachable(self.flow, [edge.target]) & sources:
                useful.add(key)
        return useful

    def _branch_wants(self) -> list[tuple[str, list[tuple[Any, ...]], bool]]:
        """(edge key, DNF clauses, is-default) for every branch edge, computed once."""
        if self._wants is not None:
            return self._wants
        from flowctl.expr.dnf import condition_dnf

        wants: list[tuple[str, list[tuple[Any, ...]], bool]] = []
        for block in self.flow.blocks:
            if not isinstance(block, BranchBlock):
                continue
            out = adjacency(self.flow)[block.id]
            for number, case in enumerate(block.cases, 1):
                key = next(e.key for e in out if e.kind == "case" and e.label == f"case {number}")
                wants.append((key, list(condition_dnf(case.when)), False))
            rest = next((e.key for e in out if e.kind in ("default", "fallthrough")), None)
            if rest is not None:
                clauses = [clause for case in block.cases for clause in condition_dnf(case.when)]
                wants.append((rest, clauses, True))
        self._wants = wants
        return wants

    def _steers(self, before: Conversation | None, after: Conversation, uncovered: set[str]) -> int:
        """How many uncovered branch edges the values this move saved make possible."""
        from flowctl.expr.dnf import satisfies

        saved = {k: v for k, v in after.variables.items()
                 if before is None or before.variables.get(k, object()) != v}
        if not saved:
            return 0
        score = 0
        for key, clauses, is_default in self._branch_wants():
            if key not in uncovered:
                continue
            relevant = [[a for a in clause if a.path in saved] for clause in clauses]
            if not any(relevant):
                continue
            verdicts = [all(satisfies(saved[a.path], a) is not False for a in atoms)
                        for atoms in relevant if atoms]
            if (not is_default and any(verdicts)) or (is_default and not any(verdicts)):
                score += 1
        return score

    def _ahead(self, block_id: str | None, uncovered: set[str]) -> tuple[int, int]:
        """(uncovered edges reachable from the block, distance to the nearest one)."""
        if block_id is None:
            return 0, 10_000
        adj = adjacency(self.flow)
        seen = {block_id}
        queue = deque([(block_id, 0)])
        count, nearest = 0, 10_000
        while queue:
            node, depth = queue.popleft()
            for edge in adj.get(node, []):
                if edge.key in uncovered:
                    count += 1
                    nearest = min(nearest, depth)
                if edge.target is not None and edge.target in adj and edge.target not in seen:
                    seen.add(edge.target)
                    queue.append((edge.target, depth + 1))
        return count, nearest

    def _engine(self, setup: Setup) -> tuple[Interpreter, _Clock, _Endpoints, _Assistant]:
        clock = _Clock(setup.now or self.start_time)
        endpoints = _Endpoints()
        assistant = _Assistant()
        ports = Ports(clock, endpoints, assistant, _Agents(setup.agents),
                      KnowledgeBase(self.project.articles))
        return Interpreter(self.project, ports), clock, endpoints, assistant

    def _play(self, engine: Interpreter, clock: _Clock, endpoints: _Endpoints,
              assistant: _Assistant, state: Conversation | None, move: Move,
              setup: Setup) -> tuple[Conversation, list[list[dict[str, Any]]], list[Any],
                                     list[AssistantReply]]:
        endpoints.fail = move.fail_calls
        endpoints.logical = -1
        assistant.queue = list(move.ai)
        assistant.used = []
        outputs: list[list[dict[str, Any]]] = []
        requests: list[Any] = []
        if state is None:
            step = engine.start(self.flow.id, setup.context)
            return step.state, [step.outputs], step.requests, list(assistant.used)
        if move.wait:
            clock.at = clock.at + timedelta(seconds=move.wait)
        if move.agents is not None:
            engine.ports.agents.map.update(move.agents)  # type: ignore[attr-defined]
        for item in move.inputs:
            if state.status == ENDED:
                break
            handled: Step = engine.handle(state, item, setup.context)
            state = handled.state
            outputs.append(handled.outputs)
            requests.extend(handled.requests)
        return state, outputs, requests, list(assistant.used)

    def _variants(self, base: Move, engine: Interpreter, clock: _Clock, endpoints: _Endpoints,
                  assistant: _Assistant, state: Conversation | None, setup: Setup) -> list[Move]:
        """The move as it is, and with each endpoint call it makes failing."""
        saved = clock.at
        _, _, requests, _ = self._play(engine, clock, endpoints, assistant, state, base, setup)
        clock.at = saved
        calls = sum(1 for request, _ in requests if request.attempt == 1)
        variants = [base]
        for index in range(calls):
            variants.append(Move(f"{base.label} (call {index + 1} fails)", base.inputs, base.wait,
                                 frozenset({index}), base.ai))
        agents = engine.ports.agents.map  # type: ignore[attr-defined]
        if state is not None and self._fallbacks and any(agents.values()):
            variants.append(Move(f"agents go offline, then {base.label}", base.inputs, base.wait,
                                 frozenset(), base.ai, {d: 0 for d in agents}))
        return variants

    def grow(self, setup: Setup, uncovered: set[str]) -> Path:
        engine, clock, endpoints, assistant = self._engine(setup)
        path = Path(setup)
        state: Conversation | None = None
        visits: dict[str, int] = {}
        useful = self._useful(uncovered)
        for _ in range(self.limits.max_moves + 1):
            if state is None:
                candidates = self._variants(Move("start"), engine, clock, endpoints, assistant,
                                            None, setup)
            else:
                if state.status == ENDED or state.block is None:
                    break
                block = self.flow.by_id.get(state.block) if state.flow == self.flow.id else None
                if block is None:
                    block = engine.flows[state.flow].by_id.get(state.block)
                context = engine.context_of(state, setup.context)
                candidates = []
                for option in _options(block, state, context, self._thresholds()):
                    candidates.extend(self._variants(option, engine, clock, endpoints, assistant,
                                                     state, setup))
                if not candidates:
                    path.truncated = True
                    break
            best: tuple[Any, ...] | None = None
            agents_before = dict(engine.ports.agents.map)  # type: ignore[attr-defined]
            for index, move in enumerate(candidates):
                engine.ports.agents.map = dict(agents_before)  # type: ignore[attr-defined]
                saved = clock.at
                new_state, outputs, requests, replies = self._play(
                    engine, clock, endpoints, assistant, copy.deepcopy(state) if state else None,
                    move, setup)
                after = clock.at
                clock.at = saved
                before = len(state.edges) if state else 0
                taken = new_state.edges[before:]
                gain = len({key for key in taken if key in uncovered} - path.covered)
                gain += self._steers(state, new_state, useful - path.covered)
                loops = max((visits.get(b, 0) + new_state.path[len(state.path) if state else 0:]
                             .count(b) for b in set(new_state.path)), default=0)
                if loops > self.limits.max_visits:
                    continue
                ahead, nearest = (0, 0) if new_state.status == ENDED else self._ahead(
                    new_state.block, uncovered - path.covered - set(taken))
                score = (gain + ahead, gain, -nearest, -index)
                if best is None or score > best[0]:
                    best = (score, move, new_state, outputs, requests, replies, after)
            if best is None:
                path.truncated = True
                break
            _, move, new_state, outputs, requests, replies, after = best
            clock.at = after
            engine.ports.agents.map = dict(agents_before)  # type: ignore[attr-defined]
            if move.agents is not None:
                engine.ports.agents.map.update(move.agents)  # type: ignore[attr-defined]
            for block_id in new_state.path[len(state.path) if state else 0:]:
                visits[block_id] = visits.get(block_id, 0) + 1
            path.moves.append(move)
            path.outputs.append(outputs)
            path.requests.extend(requests)
            path.ai_replies.extend(replies)
            path.covered.update(k for k in new_state.edges if k in self.all_edges)
            state = new_state
        else:
            path.truncated = True
        path.state = state
        if state is not None and state.status != ENDED:
            path.truncated = True
        return path

    def setups(self) -> list[Setup]:
        online = {d: 1 for d in self.departments}
        base = [Setup("agents online", {}, online)]
        if self.departments and any(isinstance(b, EscalateBlock) for b in self.flow.blocks):
            base.append(Setup("agents offline", {}, {d: 0 for d in self.departments}))
        if self._uses_time():
            sunday_night = (self.start_time + timedelta(days=6)).replace(hour=3, minute=0)
            base.append(Setup("outside business hours (Sunday 03:00)", {}, online, sunday_night))
        derived = []
        for setup in _condition_setups(self.flow, {}):
            agents = _split_agents(setup.context, self.departments)
            derived.append(Setup(setup.label, setup.context, agents if agents is not None else online))
        return base + derived

    def _uses_time(self) -> bool:
        from flowctl.expr.syntax import analyse_condition, analyse_template
        from flowctl.model.values import iter_expressions

        sources = [e.source for b in self.flow.blocks if isinstance(b, BranchBlock)
                   for c in b.cases for e in iter_expressions(c.when)]
        if self.flow.start and self.flow.start.when is not None:
            sources += [e.source for e in iter_expressions(self.flow.start.when)]
        for source in sources:
            analysis = analyse_condition(source)
            if "now" in analysis.names or any(c.function == "within" for c in analysis.calls):
                return True
        return any("now" in analyse_template(t.source).names
                   for b in self.flow.blocks for _, t in b.templates())

    def run(self) -> ExploreResult:
        uncovered = set(self.all_edges)
        paths: list[Path] = []
        setups = self.setups()
        hopeless: set[str] = set()
        while uncovered - hopeless and len(paths) < self.limits.max_paths:
            best: Path | None = None
            best_gain = 0
            for setup in setups:
                path = self.grow(setup, uncovered)
                gain = len(path.covered & uncovered)
                if gain > best_gain:
                    best, best_gain = path, gain
            if best is None:
                # Greedy growth found nothing new: aim at one uncovered edge at a time.
                for key in sorted(uncovered - hopeless, key=lambda k: self.all_edges[k].span):
                    best = next((p for p in (self.grow(s, {key}) for s in setups)
                                 if key in p.covered), None)
                    if best is not None:
                        break
                    hopeless.add(key)
            if best is None:
                break
            paths.append(best)
            uncovered -= best.covered
        covered = set(self.all_edges) - uncovered
        return ExploreResult(self.flow, paths, self.start_time, len(self.all_edges), covered,
                             self._unreached(uncovered), self._violations(paths))

    # -- reporting ------------------------------------------------------------------------------

    def _unreached(self, uncovered: set[str]) -> list[Finding]:
        from flowctl.model.graph import reachable

        graph_reachable = reachable(self.flow)
        findings = []
        for key in sorted(uncovered, key=lambda k: (self.all_edges[k].span.line, k)):
            edge = self.all_edges[key]
            block = self.flow.by_id.get(edge.source)
            if edge.source not in graph_reachable:
                reason = f"block '{edge.source}' cannot be reached at all"
            elif edge.kind == "case" and self._reads_flow_values(block, edge.label):
                reason = ("its condition reads values the flow sets itself (a counter or a loop?); "
                          "try a larger --unroll")
            elif edge.kind == "case":
                reason = "no context derived from the condition's comparisons makes it hold first"
            elif edge.kind in ("default", "fallthrough") and isinstance(block, BranchBlock):
                reason = "no context derived from the conditions makes every case false"
            elif edge.kind == "on_invalid":
                reason = "no answer could be derived that the question rejects"
            elif edge.kind in ("next", "fallthrough") and isinstance(block, QuestionBlock):
                reason = "no valid answer could be derived (a pattern explore cannot satisfy?)"
            else:
                reason = "not reached within the exploration bounds (paths, moves, loop unrolling)"
            findings.append(Finding(f"{key}: {reason}", edge.span))
        return findings

    def _reads_flow_values(self, block: Any, label: str) -> bool:
        from flowctl.expr.syntax import analyse_condition
        from flowctl.model.values import iter_expressions

        if not isinstance(block, BranchBlock):
            return False
        number = int(label.split()[-1]) if label.startswith("case ") else 0
        if not 0 < number <= len(block.cases):
            return False
        from flowctl.model.blocks import SetBlock

        saved = {ref.name for b in self.flow.blocks if isinstance(b, SetBlock) for ref in b.saves()}
        return any(analyse_condition(e.source).variables & saved
                   for e in iter_expressions(block.cases[number - 1].when))

    def _violations(self, paths: list[Path]) -> list[Finding]:
        findings: list[Finding] = []
        seen: set[str] = set()

        def add(message: str, span: SourceSpan) -> None:
            if message not in seen:
                seen.add(message)
                findings.append(Finding(message, span))

        for block in self.flow.blocks:
            if isinstance(block, QuestionBlock) and block.on_invalid is not None \
                    and block.on_invalid.name == block.id:
                add(f"invalid answers at '{block.id}' lead back to the same question: a visitor "
                    "who cannot answer is asked forever", block.on_invalid.span)
            if isinstance(block, QuestionBlock) and block.free_text and not can_reach(
                    self.flow, block.id, lambda b: isinstance(b, EscalateBlock)):
                add(f"no escalation is reachable from free-text question '{block.id}'", block.span)
        for path in paths:
            state = path.state
            if state is None:
                continue
            last = state.path[-1] if state.path else ""
            span = self._span_of(last)
            if path.truncated:
                add(f"a path does not end within {self.limits.max_moves} moves "
                    f"(stuck or looping at '{last}')", span)
            elif not state.edges or not state.edges[-1].endswith(" -end-> (end)"):
                how = "falls off the end of the flow" if state.edges and state.edges[-1].endswith(
                    "-fallthrough-> (end)") else f"ends '{state.outcome}'"
                add(f"a path {how} at '{last}' instead of reaching an end, escalate or goto "
                    "block", span)
            for outputs in (out for per_input in path.outputs for out in per_input):
                for run, message in enumerate(outputs, 1):
                    if run > self.limits.max_messages:
                        add(f"more than {self.limits.max_messages} bot messages in a row before "
                            f"'{message.get('block')}' without a chance to reply",
                            self._span_of(str(message.get("block"))))
                        break
        return findings

    def _span_of(self, block_id: str) -> SourceSpan:
        block = self.flow.by_id.get(block_id)
        return block.span if block is not None else self.flow.span


def explore(project: Project, flow: Flow, limits: Limits | None = None) -> ExploreResult:
    return Explorer(project, flow, limits).run()


# -- writing visitors files ---------------------------------------------------------------------


def _as_glob(text: str) -> str:
    """A glob matching ``text`` (``*`` and ``?`` match themselves); a text that would read
    as ``/regex/`` gets its final slash replaced by ``?``."""
    return text[:-1] + "?" if len(text) >= 2 and text[0] == "/" and text[-1] == "/" else text


def visitor_of(result: ExploreResult, path: Path, number: int) -> dict[str, Any]:
    """A visitor (as YAML-ready data) that replays ``path`` and expects what it did."""
    steps: list[dict[str, Any]] = []

    def expect_messages(outputs: list[dict[str, Any]]) -> None:
        for message in outputs:
            text = message.get("text")
            if isinstance(text, str) and text:
                steps.append({"bot": _as_glob(text)})
            else:
                steps.append({"bot": {"type": message.get("type", "text")}})

    for move, per_input in zip(path.moves, path.outputs, strict=False):
        if not move.inputs:  # the start
            for outputs in per_input:
                expect_messages(outputs)
            continue
        if move.wait:
            steps.append({"wait": move.wait})
        if move.agents is not None:
            steps.append({"agents": dict(move.agents)})
        for item, outputs in zip(move.inputs, per_input, strict=False):
            if isinstance(item, Click):
                steps.append({"click": item.label})
            elif isinstance(item, Say):
                steps.append({"say": item.text})
            elif isinstance(item, SubmitForm):
                steps.append({"form": dict(item.values)})
            expect_messages(outputs)
    mocks: dict[str, Any] = {}
    by_endpoint: dict[str, list[dict[str, Any]]] = {}
    for request, response in path.requests:
        entry = {"status": response.status, "json": response.json}
        by_endpoint.setdefault(request.endpoint, []).append(entry)
    if by_endpoint:
        mocks["endpoints"] = {name: responses if len(responses) > 1 else responses[0]
                              for name, responses in by_endpoint.items()}
    if path.ai_replies:
        replies: list[Any] = [{"handoff": r.handoff} if r.handoff else r.text
                              for r in path.ai_replies]
        assistants = sorted({b.assistant.name for b in result.flow.blocks if isinstance(b, AIBlock)})
        mocks["ai"] = {assistants[0] if assistants else "default": replies}
    state = path.state
    assert state is not None
    visitor: dict[str, Any] = {"name": f"explore {number}: " + ", ".join(
        m.label for m in path.moves[1:4]) + (" …" if len(path.moves) > 4 else "")}
    if path.setup.context:
        visitor["context"] = path.setup.context
    visitor["agents"] = path.setup.agents
    if mocks:
        visitor["mocks"] = mocks
    visitor["steps"] = steps
    expect: dict[str, Any] = {"path": list(state.path)}
    first_outcome = next((o for f, o in state.outcomes if f == result.flow.id), state.outcome)
    if first_outcome:
        expect["outcome"] = first_outcome
    visitor["expect"] = expect
    return visitor


def visitors_document(result: ExploreResult, start_time: datetime) -> dict[str, Any]:
    return {
        "flow": result.flow.id,
        "defaults": {"now": start_time.isoformat()},
        "visitors": [visitor_of(result, path, n) for n, path in enumerate(result.paths, 1)],
    }


def iter_findings(result: ExploreResult) -> Iterator[tuple[str, Finding]]:
    for finding in result.violations:
        yield "violation", finding
    for finding in result.unreached:
        yield "unreached", finding
