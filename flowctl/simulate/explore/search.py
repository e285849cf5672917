"""Generate virtual visitors that cover every edge of a flow with few paths.

The engine itself is the oracle: explore drives the real engine through its public API,
and at every point where a visitor could act (a question, a form, an assistant turn) or
an endpoint could answer, it tries each option from the same stored state and keeps the one
that covers the most edges not yet covered, steering by graph distance towards the nearest
uncovered edge.  Paths grow until the flow ends or a bound is hit; new paths are added
until every reachable edge is covered.  So a flow of twelve two-way questions needs a few
paths per question, not 4,096.
"""

from __future__ import annotations

import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowctl.engine import (
    BotMessage,
    Conversation,
    Effect,
    Engine,
    Entered,
    Exchange,
    Response,
    Took,
    parse_now,
    settle,
)
from flowctl.engine.fakes import FakePorts, FixedClock, ScriptedAgents, ScriptedAssistant, ScriptedEndpoints
from flowctl.engine.knowledge import KnowledgeBase
from flowctl.engine.ports import AssistantReply
from flowctl.expr.schedule import project_zone
from flowctl.model.blocks import BranchBlock, EscalateBlock
from flowctl.model.flow import Flow
from flowctl.model.graph import EdgeKind, adjacency, edges
from flowctl.model.project import Project
from flowctl.simulate.explore.findings import unreached, violations
from flowctl.simulate.explore.moves import Move, moves_at
from flowctl.simulate.explore.records import ExploreResult, Finding, Limits, Path
from flowctl.simulate.explore.setups import Setup, setups


@dataclass
class _Played:
    """One move played from a state."""

    state: Conversation
    outputs: list[list[BotMessage]]
    exchanges: list[Exchange]
    replies: list[AssistantReply]
    trace: list[Effect]
    clock: datetime
    agents: dict[str, int]


@dataclass(eq=False)
class _Transition:
    """A move played from a node: the play, the edges of the explored flow it took, and the
    node it leads to (None when a bound cut it off)."""

    source: Any  # the key of the node it starts from; None for the start
    move: Move
    played: _Played
    taken: list[str]
    target: Any


@dataclass(eq=False)
class _Node:
    """A merged state: the first play that reached it stands for all of them."""

    key: Any
    setup: int
    via: _Transition
    depth: int  # moves from the start
    visits: dict[str, int]  # blocks entered on the way that first reached it
    out: list[_Transition] = field(default_factory=list)
    expanded: bool = False
    cut: bool = False  # some move from here was cut off by --max-moves or --unroll


def _flow_edges(played: _Played, flow_id: str) -> list[str]:
    return [e.edge.key for e in played.trace if isinstance(e, Took) and e.flow == flow_id]


def _entered(played: _Played, flow_id: str) -> list[str]:
    return [e.block for e in played.trace if isinstance(e, Entered)]


def _code_of(flow: Flow) -> list[str]:
    """The text of every template, condition and value of a flow (read conservatively: all
    of it, not only what is inside the braces)."""
    from flowctl.model.blocks import DataBlock, SetBlock
    from flowctl.model.values import iter_expressions, iter_value_templates

    out: list[str] = []
    if flow.start is not None and flow.start.when is not None:
        out.extend(e.source for e in iter_expressions(flow.start.when))
    for block in flow.blocks:
        out.extend(t.source for _, t in block.templates())
        if isinstance(block, SetBlock):
            for _, value in block.values:
                out.extend(t.source for t in iter_value_templates(value))
        if isinstance(block, BranchBlock):
            for case in block.cases:
                out.extend(e.source for e in iter_expressions(case.when))
        if isinstance(block, DataBlock):
            for name in ("body", "query", "headers"):
                value = getattr(block, name)
                if value is not None:
                    out.extend(t.source for t in iter_value_templates(value))
    return out


class Explorer:
    def __init__(self, project: Project, flow: Flow, limits: Limits | None = None,
                 now: str | None = None, engine: Engine | None = None) -> None:
        self.project = project
        self.flow = flow
        self.limits = limits or Limits()
        self.engine = engine or Engine(project)
        self.start_time = parse_now(now, project_zone(project))
        self.departments = sorted(r.name for r in project.config.departments) if project.config else []
        self.all_edges = {e.key: e for e in edges(flow)}
        self.knowledge = KnowledgeBase(project.articles)
        self._wants: list[tuple[str, list[tuple[Any, ...]], bool]] | None = None
        self._numbers: dict[str, tuple[str, ...]] | None = None
        self.nodes: dict[Any, _Node] = {}
        self.roots: list[_Transition] = []
        self.budget: str | None = None  # the budget that stopped the search: states, time, paths
        self._setups: list[Setup] = []
        self._read: tuple[frozenset[str], bool, bool] | None = None
        self._deadline = 0.0
        self._fallbacks = any(isinstance(b, EscalateBlock) and b.when_unavailable is not None
                              for b in flow.blocks)

    # -- steering ---------------------------------------------------------------------------------

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
                key = next(e.key for e in out if e.kind == EdgeKind.CASE and e.label == f"case {number}")
                wants.append((key, list(condition_dnf(case.when)), False))
            rest = next((e.key for e in out if e.kind in (EdgeKind.DEFAULT, EdgeKind.FALLTHROUGH)), None)
            if rest is not None:
                clauses = [clause for case in block.cases for clause in condition_dnf(case.when)]
                wants.append((rest, clauses, True))
        self._wants = wants
        return wants

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

    def _play(self, state: Conversation | None, move: Move, setup: Setup, at: datetime,
              agents: dict[str, int]) -> _Played:
        """Play ``move`` from ``state`` with fresh fakes (the engine keeps nothing)."""
        fakes = FakePorts(FixedClock(at),
                          ScriptedEndpoints(default=Response(200, {}), fail_calls=move.fail_calls),
                          ScriptedAssistant({None: tuple(move.ai)}),
                          ScriptedAgents(dict(agents)), self.knowledge)
        ports = fakes.ports()
        outputs: list[list[BotMessage]] = []
        exchanges: list[Exchange] = []
        trace: list[Effect] = []
        if state is None:
            settled = settle(self.engine, self.engine.start(self.flow.id, setup.context, ports,
                                                            conversation_id="explore"),
                             setup.context, ports)
            state = settled.step.state
            outputs.append(settled.step.messages)
            exchanges.extend(settled.exchanges)
            trace.extend(settled.step.log)
        else:
            if move.wait:
                fakes.clock.advance(move.wait)
            if move.agents is not None:
                fakes.agents.update(move.agents)
            for item in move.inputs:
                if state.ended:
                    break
                settled = settle(self.engine, self.engine.handle(state, item, setup.context, ports),
                                 setup.context, ports)
                state = settled.step.state
                outputs.append(settled.step.messages)
                exchanges.extend(settled.exchanges)
                trace.extend(settled.step.log)
        return _Played(state, outputs, exchanges, list(fakes.assistant.given), trace,
                       fakes.clock.at, fakes.agents.departments())

    def _ports_at(self, at: datetime, agents: dict[str, int]) -> Any:
        return FakePorts(FixedClock(at), ScriptedEndpoints(), ScriptedAssistant(),
                         ScriptedAgents(dict(agents)), self.knowledge).ports()

    # -- the state graph ------------------------------------------------------------------------

    def _reads(self) -> tuple[frozenset[str], bool, bool]:
        """Names read by any template or condition of the project's flows (a goto hands the
        variables over), and whether ``tags`` and ``messages`` are read."""
        if self._read is None:
            sources: list[str] = []
            for flow in self.project.flows:
                sources.extend(_code_of(flow))
            names: set[str] = set()
            for source in sources:
                names.update(re.findall(r"[A-Za-z_]\w*", re.sub(r"'[^']*'|\"[^\"]*\"", " ", source)))
            self._read = (frozenset(names), "tags" in names, "messages" in names)
        return self._read

    def key(self, setup: int, played: _Played) -> tuple[Any, ...]:
        """What decides the conversation's future: two states with the same key are merged.

        The block and what the engine keeps about it (status, attempts, turns, timers, the
        pending call), the variables some template or condition reads (a saved answer nothing
        reads does not tell two states apart), profile fields, tags and the message count when
        read, the outcome, the clock and the agents.  The step counter, input ids and the
        assistant's log (scripted replies do not depend on it) are left out."""
        state = played.state
        names, tags, messages = self._reads()
        data = state.to_json()
        for volatile in ("id", "seq", "input_id", "assistant_log"):
            data.pop(volatile, None)
        data["variables"] = {k: v for k, v in state.variables.items() if k in names}
        if not tags:
            data.pop("tags", None)
        if not messages:
            data.pop("messages", None)
        data["clock"] = played.clock.isoformat()
        data["agents"] = played.agents
        data["setup"] = setup
        return ("ended", setup, state.outcome, state.block) if state.ended else \
            (setup, json.dumps(data, sort_keys=True, default=str))

    def _budget_left(self) -> str | None:
        if len(self.nodes) >= self.limits.max_states:
            return "states"
        if time.perf_counter() > self._deadline:
            return "time"
        return None

    def build(self) -> None:
        """Explore the state graph breadth first, merging equivalent states, within the bounds."""
        self._deadline = time.perf_counter() + self.limits.time_limit
        queue: deque[_Node] = deque()
        for number, setup in enumerate(setups(self.flow, self.departments, self.start_time)):
            self._setups.append(setup)
            at = setup.now or self.start_time
            base = self._play(None, Move("start"), setup, at, dict(setup.agents))
            starts = [(Move("start"), base)]
            calls = sum(1 for x in base.exchanges if x.call.attempt == 1)
            for index in range(calls):
                move = Move(f"start (call {index + 1} fails)", [], 0.0, frozenset({index}))
                starts.append((move, self._play(None, move, setup, at, dict(setup.agents))))
            for move, played in starts:
                start = _Transition(None, move, played, _flow_edges(played, self.flow.id), None)
                if self._node(number, start, 0, {}, queue) is not None:
                    self.roots.append(start)
                if self.budget is not None:
                    return
        while queue:
            node = queue.popleft()
            self.budget = self._budget_left()
            if self.budget is not None:
                node.expanded = False
                for rest in queue:
                    rest.expanded = False
                return
            self._expand(node, queue)
            if self.budget is not None:
                return

    def _node(self, setup: int, via: _Transition, depth: int, visits: dict[str, int],
              queue: deque[_Node]) -> _Node | None:
        """The node ``via`` leads to, made (and queued) if new; None when cut by a bound."""
        key = self.key(setup, via.played)
        via.target = key
        node = self.nodes.get(key)
        if node is not None:
            return node
        entered = _entered(via.played, self.flow.id)
        counts = dict(visits)
        for block_id in entered:
            counts[block_id] = counts.get(block_id, 0) + 1
        if depth > self.limits.max_moves or any(n > self.limits.max_visits for n in counts.values()):
            via.target = None
            return None
        if len(self.nodes) >= self.limits.max_states:
            self.budget = "states"
            via.target = None
            return None
        node = _Node(key, setup, via, depth, counts)
        self.nodes[key] = node
        if not via.played.state.ended:
            queue.append(node)
        return node

    def _expand(self, node: _Node, queue: deque[_Node]) -> None:
        played = node.via.played
        state = played.state
        setup = self._setups[node.setup]
        if state.block is None:
            node.expanded = True
            return
        block = self.engine.flow(state.flow).by_id[state.block]
        region = self.engine.context(state, setup.context, self._ports_at(played.clock, played.agents)) \
            .get("visitor", {}).get("country")
        for option in moves_at(block, state.attempts, region if isinstance(region, str) else None,
                               self._thresholds()):
            base = self._play(state, option, setup, played.clock, played.agents)
            plays = [(option, base)]
            calls = sum(1 for x in base.exchanges if x.call.attempt == 1)
            for index in range(calls):
                move = Move(f"{option.label} (call {index + 1} fails)", option.inputs, option.wait,
                            frozenset({index}), option.ai)
                plays.append((move, self._play(state, move, setup, played.clock, played.agents)))
            if self._fallbacks and any(played.agents.values()):
                move = Move(f"agents go offline, then {option.label}", option.inputs, option.wait,
                            frozenset(), option.ai, {d: 0 for d in played.agents})
                plays.append((move, self._play(state, move, setup, played.clock, played.agents)))
            for move, result in plays:
                transition = _Transition(node.key, move, result, _flow_edges(result, self.flow.id),
                                         None)
                node.out.append(transition)
                child = self._node(node.setup, transition, node.depth + 1, node.visits, queue)
                if child is None:
                    node.cut = True
            if time.perf_counter() > self._deadline:
                self.budget = "time"
                node.expanded = False
                for rest in queue:
                    rest.expanded = False
                return
        node.expanded = True

    # -- choosing the paths -----------------------------------------------------------------------

    def _to_end(self) -> dict[Any, _Transition | None]:
        """For each node that can reach an end: the first transition of a shortest way there."""
        best: dict[Any, _Transition | None] = {k: None for k, n in self.nodes.items()
                                               if n.via.played.state.ended}
        into: dict[Any, list[_Transition]] = {}
        for node in self.nodes.values():
            for transition in node.out:
                if transition.target is not None:
                    into.setdefault(transition.target, []).append(transition)
        queue = deque(best)
        while queue:
            key = queue.popleft()
            for transition in into.get(key, []):
                if transition.source not in best:
                    best[transition.source] = transition
                    queue.append(transition.source)
        return best

    def _plan(self, target: _Transition, to_end: dict[Any, _Transition | None],
              uncovered: set[str]) -> list[_Transition]:
        """A way from a start through ``target`` on to an end, taking uncovered edges on the way."""
        chain: list[_Transition] = [target]
        key = target.source
        while key is not None:
            via = self.nodes[key].via
            chain.append(via)
            key = via.source
        chain.reverse()
        fresh = set(uncovered)
        for transition in chain:
            fresh -= set(transition.taken)
        key = target.target
        seen: dict[Any, int] = {}
        while key is not None and len(chain) <= self.limits.max_moves:
            node = self.nodes[key]
            if node.via.played.state.ended or key not in to_end:
                break
            seen[key] = seen.get(key, 0) + 1
            options = [t for t in node.out if t.target in to_end and seen.get(t.target, 0) == 0]
            gainful = [t for t in options if set(t.taken) & fresh]
            step: _Transition | None
            if gainful:
                step = max(gainful, key=lambda t: (len(set(t.taken) & fresh),
                                                   self.nodes[t.target].via is t))
            else:
                step = to_end[key]
            if step is None:
                break
            chain.append(step)
            fresh -= set(step.taken)
            key = step.target
        return chain

    def _walk(self, chain: list[_Transition]) -> Path:
        """The path of ``chain``: the stored plays while they are the ones that made each node,
        played again from the actual state after a merge (so it is exactly what a visitor sees)."""
        setup = self._setups[self.nodes[chain[0].target].setup] if chain[0].target is not None \
            else self._setups[0]
        path = Path(setup)
        exact = True
        state: Conversation | None = None
        at, agents = setup.now or self.start_time, dict(setup.agents)
        for transition in chain:
            if exact:
                played = transition.played
            else:
                if state is not None and state.ended:
                    break
                played = self._play(state, transition.move, setup, at, agents)
            if exact and transition.target is not None \
                    and self.nodes[transition.target].via is not transition:
                exact = False
            at, agents, state = played.clock, played.agents, played.state
            path.moves.append(transition.move)
            path.outputs.append(played.outputs)
            path.exchanges.extend(played.exchanges)
            path.ai_replies.extend(played.replies)
            path.trace.extend(played.trace)
            path.covered.update(_flow_edges(played, self.flow.id))
        path.state = state
        if state is not None and not state.ended:
            path.truncated = True
        return path

    def run(self) -> ExploreResult:
        self.build()
        to_end = self._to_end()
        reachable_edges: set[str] = set()
        targets: list[_Transition] = []
        listed: set[int] = set()
        # deepest first: the way to a deep edge passes many others
        for node in sorted(self.nodes.values(), key=lambda n: -n.depth):
            for transition in [node.via, *node.out]:
                if transition.target is None or id(transition) in listed:
                    continue
                listed.add(id(transition))
                targets.append(transition)
                reachable_edges.update(transition.taken)
        uncovered = set(reachable_edges)
        paths: list[Path] = []
        for target in targets:
            if not uncovered:
                break
            if not set(target.taken) & uncovered:
                continue
            if len(paths) >= self.limits.max_paths:
                self.budget = self.budget or "paths"
                break
            path = self._walk(self._plan(target, to_end, uncovered))
            gained = path.covered & uncovered
            if not gained:
                continue
            paths.append(path)
            uncovered -= path.covered
        # drop a visitor whose edges the others cover too (fewest edges first)
        for path in sorted(paths, key=lambda p: len(p.covered)):
            others = set().union(*(p.covered for p in paths if p is not path))
            if path.covered <= others:
                paths.remove(path)
        covered = set().union(*(p.covered for p in paths)) & set(self.all_edges)
        left = set(self.all_edges) - covered
        stuck = self._stuck(to_end)
        result = ExploreResult(self.flow, paths, self.start_time, len(self.all_edges), covered,
                               unreached(self.flow, self.all_edges, left, bounded=self.budget,
                                         cut_off=self._cut_off()),
                               violations(self.project, self.flow, self.limits, paths, stuck))
        result.states = len(self.nodes)
        result.budget = self.budget
        result.limits = self.limits
        result.unexplored = len(left) - len(result.unreached)
        return result

    def _cut_off(self) -> set[str] | None:
        """When --max-moves or --unroll cut moves off: the blocks no explored state entered."""
        if not any(node.cut for node in self.nodes.values()):
            return None
        entered = {b for node in self.nodes.values() for t in [node.via, *node.out]
                   if t.target is not None for b in _entered(t.played, self.flow.id)}
        waiting = {node.via.played.state.block for node in self.nodes.values() if node.cut}
        return ({b.id for b in self.flow.blocks} - entered) | {b for b in waiting if b}

    def _stuck(self, to_end: dict[Any, _Transition | None]) -> list[tuple[str, str]]:
        """Blocks where a visitor can get stuck for good: the flow waits, and no way from there
        ever reaches an end though everything after it was explored (nothing cut by a bound)."""
        out: list[tuple[str, str]] = []
        for key, node in self.nodes.items():
            if key in to_end or not node.expanded or node.cut:
                continue
            block = node.via.played.state.block or ""
            closure, queue, complete = {key}, deque([key]), True
            while queue and complete:
                for transition in self.nodes[queue.popleft()].out:
                    nxt = transition.target
                    if nxt is None or not self.nodes[nxt].expanded or self.nodes[nxt].cut:
                        complete = False
                        break
                    if nxt not in closure:
                        closure.add(nxt)
                        queue.append(nxt)
            if complete:
                why = "the visitor can do nothing there" if not node.out else \
                    "every move leads back into a loop"
                out.append((block, why))
        return out


def explore(project: Project, flow: Flow, limits: Limits | None = None) -> ExploreResult:
    return Explorer(project, flow, limits).run()


def explore_flows(project: Project, flows: list[Flow],
                  limits: Limits | None = None) -> list[tuple[ExploreResult, float]]:
    """Explore each flow with one compiled engine; each result with the seconds it took."""
    engine = Engine(project)
    results = []
    for flow in flows:
        started = time.perf_counter()
        results.append((Explorer(project, flow, limits, engine=engine).run(),
                        time.perf_counter() - started))
    return results


__all__ = ["ExploreResult", "Explorer", "Finding", "Limits", "Path", "explore", "explore_flows"]
