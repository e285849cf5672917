"""The explore row of bench/engine.py: 12 sequential two-way questions."""

from __future__ import annotations

import time
from pathlib import Path


def twelve_questions(count: int = 12) -> str:
    out = ["flow: twelve", "blocks:"]
    for i in range(count):
        nxt = f"q{i + 1}" if i + 1 < count else "done"
        out += [
            f"  - id: q{i}", "    type: question", f"    text: \"Question {i + 1}: yes or no?\"",
            f"    choices: [{{label: 'Yes', next: yes{i}}}, {{label: 'No', next: no{i}}}]",
            f"    save: answer_{i}", "    on_invalid: lost",
            f"  - {{id: yes{i}, type: tag, add: [yes-{i}], next: {nxt}}}",
            f"  - {{id: no{i}, type: tag, add: [no-{i}], next: {nxt}}}",
        ]
    out += ["  - {id: done, type: end}", "  - {id: lost, type: end, outcome: unclear}"]
    return "\n".join(out) + "\n"


def explore_row(folder: Path) -> None:
    from flowctl.loader.project import load_project
    from flowctl.simulate.explore import Explorer

    (folder / "twelve.flow.yaml").write_text(twelve_questions())
    project, _ = load_project([folder])
    flow = project.flow("twelve")
    assert flow is not None
    start = time.perf_counter()
    result = Explorer(project, flow).run()
    seconds = time.perf_counter() - start
    print(f"{'explore, 12 two-way questions':<40} {len(result.paths):6d} visitors for "
          f"{result.total_edges} edges ({len(result.covered)} covered; all paths: "
          f"{2 ** 12:,}) in {seconds:.2f} s")


def sequence_row(folder: Path, count: int = 80) -> None:
    """Repro 12: 80 sequential ten-choice questions (10**80 paths); merged states make it
    about 160 states, well under a second (it took over 150 s)."""
    from flowctl.loader.project import load_project
    from flowctl.simulate.explore import Explorer

    lines = ["flow: seq", "start: {'on': chat_opened}", "blocks:"]
    for i in range(count):
        lines += [f"- {{id: q{i}, type: question, text: 'Q{i}?', "
                  f"choices: [{', '.join(f'c{n}' for n in range(10))}], save: v{i}}}"]
    lines += ["- {id: done, type: end}"]
    (folder / "seq.flow.yaml").write_text("\n".join(lines) + "\n")
    project, _ = load_project([folder])
    flow = project.flow("seq")
    assert flow is not None
    start = time.perf_counter()
    result = Explorer(project, flow).run()
    seconds = time.perf_counter() - start
    print(f"{f'explore, {count} ten-choice questions':<40} {len(result.paths):6d} visitors, "
          f"{result.states} states for {result.total_edges} edges ({len(result.covered)} covered)"
          f" in {seconds:.2f} s")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        explore_row(Path(one))
        sequence_row(Path(two))
