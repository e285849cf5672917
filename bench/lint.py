"""Lint benchmarks: flowctl against yamllint and check-jsonschema, measured in one run.

Prints ratios (flowctl time / baseline time) next to the issue's targets:
  - one 30-block flow: flowctl lint vs yamllint            target <= 1.0
  - 500 flows of 40 blocks: flowctl lint vs check-jsonschema target <= 0.2
  - flowctl --help median                                   target <= 150 ms
Every command runs as a user runs it: a fresh process, wall time, median of several runs.
Usage: python bench/lint.py [--quick]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import flow_text, write_project
from installed import compile_flowctl

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMA = ROOT / "schemas" / "flow.schema.json"


def timed(cmd: list[str], runs: int, cwd: Path) -> float:
    """Median wall time of ``cmd`` over ``runs`` runs (after one warm-up)."""
    subprocess.run(cmd, cwd=cwd, capture_output=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(label: str, ours: float, base: float | None, base_name: str, target: str) -> None:
    if base is None:
        print(f"{label:<44} flowctl {ours * 1000:8.0f} ms {'':>30} target {target}")
        return
    ratio = ours / base
    print(f"{label:<44} flowctl {ours * 1000:8.0f} ms  {base_name} {base * 1000:8.0f} ms  "
          f"ratio {ratio:5.2f}  target {target}")


def main() -> None:
    quick = "--quick" in sys.argv
    compile_flowctl()
    flowctl = str(BIN / "flowctl")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        single = work / "single"
        single.mkdir()
        (single / "flowctl.yaml").write_text("project: bench\ntimezone: Europe/Berlin\n"
                                             "endpoints:\n  crm: {url: 'https://x.test'}\n")
        one = single / "thirty.flow.yaml"
        one.write_text(flow_text("thirty", 30))
        runs = 3 if quick else 7
        ours = timed([flowctl, "lint", str(one)], runs, single)
        base = timed([str(BIN / "yamllint"), "-d", "relaxed", str(one)], runs, single)
        row("lint one 30-block flow", ours, base, "yamllint", "<= 1.0")
        floor = timed([sys.executable, "-c", "import typer, jinja2.sandbox, yaml, jsonschema_rs"],
                      runs, single)
        print(f"{'  (importing typer+jinja2+yaml+jsonschema_rs)':<44} {floor * 1000:8.0f} ms  "
              f"= {floor / base:4.2f} x yamllint before any flowctl code runs")

        count = 100 if quick else 500
        many = work / "many"
        files = write_project(many, count, 40)
        ours = timed([flowctl, "lint", str(many)], 1 if quick else 3, many)
        base = timed([str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA),
                      *map(str, files)], 1, many)
        row(f"lint {count} flows of 40 blocks", ours, base, "check-jsonschema", "<= 0.2")

        helps = timed([flowctl, "--help"], 5 if quick else 15, work)
        floor = timed([sys.executable, "-c", "pass"], 5 if quick else 15, work)
        row("flowctl --help (median)", helps, None, "", "<= 150 ms")
        print(f"{'  (python -c pass, same run)':<44} {floor * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
