"""Engine benchmarks, measured in one run.

1. Block executions per second on a generated 200-block flow, next to a minimal
   hand-written interpreter of the same graph that does the same template and condition
   work with precompiled Jinja objects (target: ratio >= 0.3).
2. `--explore` on a flow of 12 sequential two-way questions: the number of generated
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


class _Clock:
    def now(self) -> datetime:
        return datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


class _Agents:
    def online(self, department: str | None) -> int:
        return 1

    def departments(self) -> dict[str, int]:
        return {"support": 1}


def engine_rate(folder: Path, runs: int) -> float:
    from flowctl.engine.interpreter import Interpreter
    from flowctl.engine.knowledge import KnowledgeBase
    from flowctl.engine.ports import Ports
    from flowctl.loader.project import load_project

    project, _ = load_project([folder])
    ports = Ports(_Clock(), None, None, _Agents(), KnowledgeBase([]))  # type: ignore[arg-type]
    engine = Interpreter(project, ports)
    context = {"visitor": {"name": "Ada", "returning": True}}
    engine.start("straight", context)  # warm the template caches
    start = time.perf_counter()
    executed = 0
    for _ in range(runs):
        executed += len(engine.start("straight", context).state.path)
    return executed / (time.perf_counter() - start)


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
        print(f"{'engine, 200-block flow':<40} {ours:10,.0f} blocks/s  minimal interpreter "
              f"{base:10,.0f} blocks/s  ratio {ours / base:5.2f}  target >= 0.3")
        from explore_bench import explore_row

        explore_row(folder)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
