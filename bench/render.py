"""Render a generated 300-block flow with branches to SVG: `flowctl render` against `dot` alone.

Prints both times and their ratio (target: at most 1.5).  Needs Graphviz's `dot`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from installed import compile_flowctl

BLOCKS = 300


def flow_text(blocks: int) -> str:
    """Questions with choices that jump ahead, branches and error exits: not a straight line."""
    out = ["flow: bench-render", "title: Generated flow with branches", "start:", "  on: page_view",
           "  when: page.path.startswith('/pricing')", "blocks:"]
    last = blocks - 1
    for i in range(blocks - 1):
        kind = i % 5
        ahead = min(i + 3, last)
        if kind == 0:
            out += [f"  - id: b{i}", "    type: message", f"    text: Step {i}, hello there."]
        elif kind == 1:
            out += [f"  - id: b{i}", "    type: question", f"    text: Question {i}?",
                    "    choices:", f"      - {{label: Small, next: b{i + 1}}}",
                    f"      - {{label: Large, next: b{ahead}}}", f"    save: answer_{i}",
                    f"    on_invalid: b{last}"]
        elif kind == 2:
            out += [f"  - id: b{i}", "    type: branch", "    cases:",
                    f"      - when: answer_{i - 1} == 'Large' and visitor.returning",
                    f"        next: b{ahead}", f"    default: b{i + 1}",
                    f"    note: generated branch {i}"]
        elif kind == 3:
            out += [f"  - id: b{i}", "    type: data_update", "    endpoint: crm",
                    f"    body: {{step: \"{i}\"}}", f"    on_error: b{ahead}"]
        else:
            out += [f"  - id: b{i}", "    type: tag", f"    add: [step-{i}]"]
    out += [f"  - id: b{last}", "    type: end", "    outcome: completed"]
    return "\n".join(out) + "\n"


def _best(command: list[str], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def _phases(flow: Path) -> dict[str, float]:
    """flowctl's own work in this process: load, build the diagram, write DOT."""
    from flowctl.loader.project import load_project
    from flowctl.render import flow_diagram, to_dot

    best: dict[str, float] = {}
    for _ in range(5):
        t0 = time.perf_counter()
        project, _ = load_project([flow])
        t1 = time.perf_counter()
        diagram = flow_diagram(project.flows[0])
        t2 = time.perf_counter()
        to_dot(diagram)
        t3 = time.perf_counter()
        for name, value in (("load", t1 - t0), ("diagram", t2 - t1), ("dot text", t3 - t2)):
            best[name] = min(best.get(name, value), value)
    return best


def main() -> int:
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` is not installed: nothing to compare (apt-get install graphviz)")
        return 0
    flowctl = Path(sys.executable).with_name("flowctl")
    compile_flowctl()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "flowctl.yaml").write_text(
            "project: bench\ntimezone: Europe/Berlin\nendpoints:\n  crm: {url: https://crm.test}\n",
            encoding="utf-8")
        flow = folder / "bench.flow.yaml"
        flow.write_text(flow_text(BLOCKS), encoding="utf-8")
        dot_file = folder / "bench.dot"
        subprocess.run([str(flowctl), "render", str(flow), "-o", str(dot_file)], check=True,
                       capture_output=True)
        full = _best([str(flowctl), "render", str(flow), "-o", str(folder / "out.svg")])
        alone = _best([dot, "-Tsvg", str(dot_file), "-o", str(folder / "dot.svg")])
        startup = _best([str(flowctl), "--version"])
        phases = _phases(flow)
        connectors = dot_file.read_text(encoding="utf-8").count('"__to__')
    ratio = full / alone
    print(f"render a {BLOCKS}-block flow to SVG (best of 5):")
    print(f"  flowctl render        {full * 1000:7.0f} ms")
    print(f"  dot -Tsvg alone       {alone * 1000:7.0f} ms   ratio {ratio:.2f} (target <= 1.5)")
    print(f"  flowctl --version     {startup * 1000:7.0f} ms   (interpreter and CLI start-up)")
    print("  in process: " + ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in phases.items())
          + f"; {connectors} long edges drawn as connectors")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
