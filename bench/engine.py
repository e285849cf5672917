"""Engine benchmarks, measured in one run.

1. Block executions per second on a generated 200-block flow through the engine's public
   API (``Engine.start`` with ports passed per call), next to a minimal hand-written
   interpreter of the same graph that does the same template and condition work with
   precompiled Jinja objects (target: ratio >= 0.5).
2. The cost of one ``Engine.handle`` on a compiled engine: a question answered, the state
   read back from JSON first as a server does (microseconds; the server's budget), next to
   ``json.loads`` + ``json.dumps`` of that state alone.
3. `--explore` on a flow of 12 sequential two-way questions: the number of generated
   visitors next to the number of edges (not 2**12 = 4,096 paths), and the time taken.
Usage: python bench/engine.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent


def straight_flow(blocks: int) -> str:
    """A flow that runs ``blocks`` blocks without waiting: message, set, branch, tag."""
    out = ["flow: straight", "blocks:"]
    for i in range(blocks - 1):
        kind = i % 4
        if kind == 0:
            out += [f"  - id: b{i}", "    type: message",
                    f"    text: \"Step {i} for {{{{ visitor.name or 'you' }}}}: score {{{{ score }}}}\""]
        elif kind == 1:
            out += [f"  - id: b{i}", "    type: set", "    values:",
                    f"      score: \"{{{{ (score or 0) + {i} }}}}\""]
        elif kind == 2:
            out += [f"  - id: b{i}", "    type: branch", "    cases:",
                    f"      - when: score > {i * 1000} and visitor.returning", f"        next: b{i + 1}",
                    f"    default: b{i + 1}"]
        else:
            out += [f"  - id: b{i}", "    type: tag", "    add: [\"step-{{ score % 7 }}\"]"]
    out += [f"  - id: b{blocks - 1}", "    type: end"]
    return "\n".join(out) + "\n"


def _ports() -> Any:
    from flowctl.engine import Ports
    from flowctl.engine.fakes import FixedClock, ScriptedAgents, ScriptedAssistant
    from flowctl.engine.knowledge import KnowledgeBase

    return Ports(FixedClock(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))),
                 ScriptedAgents({"support": 1}), ScriptedAssistant(), KnowledgeBase([]))


def engine_rate(folder: Path, runs: int) -> float:
    from flowctl.engine import Engine, Entered
    from flowctl.loader.project import load_project

    project, _ = load_project([folder])
    engine = Engine(project)
    ports = _ports()
    context = {"visitor": {"name": "Ada", "returning": True}}
    engine.start("straight", context, ports)  # warm the expression caches
    start = time.perf_counter()
    executed = 0
    for _ in range(runs):
        step = engine.start("straight", context, ports)
        executed += sum(1 for effect in step.log if isinstance(effect, Entered))
    return executed / (time.perf_counter() - start)


HANDLE_FLOW = """\
flow: ask
blocks:
  - id: ask
    type: question
    text: "Which plan, {{ visitor.name }}?"
    choices: [Starter, Pro, Enterprise]
    save: plan
  - id: thanks
    type: message
    text: "{{ plan }} it is."
  - id: tag
    type: tag
    add: ["plan-{{ plan | lower }}"]
  - id: done
    type: end
"""


def handle_cost(folder: Path, runs: int) -> tuple[float, float]:
    """Microseconds per ``handle`` (state read from JSON first), and per JSON round trip."""
    import json

    from flowctl.engine import Click, Conversation, Engine
    from flowctl.loader.project import load_project

    (folder / "ask.flow.yaml").write_text(HANDLE_FLOW)
    project, _ = load_project([folder])
    engine = Engine(project)
    ports = _ports()
    context = {"visitor": {"name": "Ada"}}
    stored = json.dumps(engine.start("ask", context, ports, conversation_id="c1").state.to_json())
    engine.handle(Conversation.from_json(json.loads(stored)), Click("Pro"), context, ports)
    start = time.perf_counter()
    for _ in range(runs):
        step = engine.handle(Conversation.from_json(json.loads(stored)), Click("Pro"), context, ports)
        json.dumps(step.state.to_json())
    handle = (time.perf_counter() - start) / runs * 1e6
    start = time.perf_counter()
    for _ in range(runs):
        json.dumps(json.loads(stored))
    base = (time.perf_counter() - start) / runs * 1e6
    return handle, base


def minimal_rate(folder: Path, runs: int) -> float:
    """The same graph as plain dicts, run by the smallest loop that does the same work."""
    import yaml
    from jinja2 import ChainableUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    flow = yaml.safe_load((folder / "straight.flow.yaml").read_text())
    env = ImmutableSandboxedEnvironment(undefined=ChainableUndefined)
    blocks = flow["blocks"]
    compiled: list[tuple[str, Any, str | None]] = []
    for block in blocks:
        kind = block["type"]
        if kind == "message":
            compiled.append((kind, env.from_string(block["text"]), None))
        elif kind == "set":
            (name, value), = block["values"].items()
            compiled.append((kind, env.compile_expression(value.strip("{} ")), name))
        elif kind == "branch":
            compiled.append((kind, env.compile_expression(block["cases"][0]["when"]), None))
        elif kind == "tag":
            compiled.append((kind, env.from_string(block["add"][0]), None))
        else:
            compiled.append((kind, None, None))
    start = time.perf_counter()
    executed = 0
    for _ in range(runs):
        variables: dict[str, Any] = {"visitor": {"name": "Ada", "returning": True}}
        tags: list[str] = []
        out: list[str] = []
        for kind, code, name in compiled:
            executed += 1
            if kind == "message":
                out.append(code.render(variables))
            elif kind == "set":
                variables[name] = code(**variables)
            elif kind == "branch":
                code(**variables)
            elif kind == "tag":
                tags.append(code.render(variables))
    return executed / (time.perf_counter() - start)


def main() -> None:
    quick = "--quick" in sys.argv
    runs = 20 if quick else 100
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "flowctl.yaml").write_text("project: bench\ntimezone: Europe/Berlin\n"
                                             "departments: [support]\n")
        (folder / "straight.flow.yaml").write_text(straight_flow(200))
        ours = engine_rate(folder, runs)
        base = minimal_rate(folder, runs)
        met = "met" if ours / base >= 0.5 else "NOT MET"
        print(f"{'engine API, 200-block flow':<40} {ours:10,.0f} blocks/s  minimal interpreter "
              f"{base:10,.0f} blocks/s  ratio {ours / base:5.2f}  target >= 0.5 {met}")
        handle, json_only = handle_cost(folder, runs * 20)
        print(f"{'one handle on a compiled engine':<40} {handle:10,.0f} µs (state from and to "
              f"JSON included; the JSON round trip alone {json_only:,.1f} µs)")
        from explore_bench import explore_row

        explore_row(folder)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
