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

import time
from collections import deque
from dataclasses import dataclass
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

    def _useful(self, uncovered: set[str]) -> set[str]:
        """Uncovered edges, and edges that lead towards one of them in the graph."""
        from flowctl.model.graph import reachable

        sources = {self.all_edges[k].source for k in uncovered if k in self.all_edges}
        useful = set(uncovered)
        for key, edge in self.all_edges.items():
            if edge.target is not None and reachable(self.flow, [edge.target]) & sources:
                useful.add(key)
        return useful

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

    # -- playing moves ----------------------------------------------------------------------------

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

    def _variants(self, base: Move, state: Conversation | None, setup: Setup, at: datetime,
                  agents: dict[str, int]) -> list[Move]:
        """The move as it is, and with each endpoint call it makes failing."""
        played = self._play(state, base, setup, at, agents)
        calls = sum(1 for x in played.exchanges if x.call.attempt == 1)
        variants = [base]
        for index in range(calls):
            variants.append(Move(f"{base.label} (call {index + 1} fails)", base.inputs, base.wait,
                                 frozenset({index}), base.ai))
        if state is not None and self._fallbacks and any(agents.values()):
            variants.append(Move(f"agents go offline, then {base.label}", base.inputs, base.wait,
                                 frozenset(), base.ai, {d: 0 for d in agents}))
        return variants

    def grow(self, setup: Setup, uncovered: set[str]) -> Path:
        at = setup.now or self.start_time
        agents = dict(setup.agents)
        path = Path(setup)
        state: Conversation | None = None
        visits: dict[str, int] = {}
        useful = self._useful(uncovered)
        for _ in range(self.limits.max_moves + 1):
            if state is None:
                candidates = self._variants(Move("start"), None, setup, at, agents)
            else:
                if state.ended or state.block is None:
                    break
                block = self.engine.flow(state.flow).by_id[state.block]
                region = self.engine.context(state, setup.context, self._ports_at(at, agents)) \
                    .get("visitor", {}).get("country")
                candidates = []
                for option in moves_at(block, state.attempts, region if isinstance(region, str)
                                       else None, self._thresholds()):
                    candidates.extend(self._variants(option, state, setup, at, agents))
                if not candidates:
                    path.truncated = True
                    break
            best: tuple[Any, ...] | None = None
            for index, move in enumerate(candidates):
                played = self._play(state, move, setup, at, agents)
                taken = [e.edge.key for e in played.trace
                         if isinstance(e, Took) and e.flow == self.flow.id]
                entered = [e.block for e in played.trace if isinstance(e, Entered)]
                gain = len({key for key in taken if key in uncovered} - path.covered)
                gain += self._steers(state, played.state, useful - path.covered)
                loops = max((visits.get(b, 0) + entered.count(b) for b in set(entered)), default=0)
                if loops > self.limits.max_visits:
                    continue
                ahead, nearest = (0, 0) if played.state.ended else self._ahead(
                    played.state.block, uncovered - path.covered - set(taken))
                score = (gain + ahead, gain, -nearest, -index)
                if best is None or score > best[0]:
                    best = (score, move, played, taken, entered)
            if best is None:
                path.truncated = True
                break
            _, move, played, taken, entered = best
            at, agents = played.clock, played.agents
            for block_id in entered:
                visits[block_id] = visits.get(block_id, 0) + 1
            path.moves.append(move)
            path.outputs.append(played.outputs)
            path.exchanges.extend(played.exchanges)
            path.ai_replies.extend(played.replies)
            path.trace.extend(played.trace)
            path.covered.update(k for k in taken if k in self.all_edges)
            state = played.state
        else:
            path.truncated = True
        path.state = state
        if state is not None and not state.ended:
            path.truncated = True
        return path

    def _ports_at(self, at: datetime, agents: dict[str, int]) -> Any:
        return FakePorts(FixedClock(at), ScriptedEndpoints(), ScriptedAssistant(),
                         ScriptedAgents(dict(agents)), self.knowledge).ports()

    def run(self) -> ExploreResult:
        uncovered = set(self.all_edges)
        paths: list[Path] = []
        tried = setups(self.flow, self.departments, self.start_time)
        hopeless: set[str] = set()
        while uncovered - hopeless and len(paths) < self.limits.max_paths:
            best: Path | None = None
            best_gain = 0
            for setup in tried:
                path = self.grow(setup, uncovered)
                gain = len(path.covered & uncovered)
                if gain > best_gain:
                    best, best_gain = path, gain
            if best is None:
                # Greedy growth found nothing new: aim at one uncovered edge at a time.
                for key in sorted(uncovered - hopeless, key=lambda k: self.all_edges[k].span):
                    best = next((p for p in (self.grow(s, {key}) for s in tried)
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
                             unreached(self.flow, self.all_edges, uncovered),
                             violations(self.project, self.flow, self.limits, paths))


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
