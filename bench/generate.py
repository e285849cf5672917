"""Generate realistic, valid flows of a given size for the benchmarks."""

from __future__ import annotations

from pathlib import Path

CONFIG = """\
project: bench
timezone: Europe/Berlin
departments: [sales, support]
schedules:
  business_hours:
    hours: {mon-fri: "09:00-17:30"}
endpoints:
  crm: {url: "https://crm.example.com/api", method: POST, headers: {Authorization: "Bearer ${CRM_TOKEN}"}}
"""


def flow_text(flow_id: str, blocks: int, priority: int = 0) -> str:
    """A flow of ``blocks`` blocks cycling through the common block types."""
    out = [
        f"flow: {flow_id}",
        f"title: Generated flow {flow_id}",
        "start:",
        "  on: custom:" + flow_id,
        "  when:",
        "    all:",
        "      - page.path.startswith('/pricing')",
        "      - visitor.time_on_page >= 20",
        f"  priority: {priority}",
        "blocks:",
    ]
    n = 0
    saved: list[str] = []
    while n < blocks - 1:
        i = n
        kind = i % 6
        nxt = f"b{i + 1}"
        if kind == 0:
            out += [f"  - id: b{i}", "    type: message",
                    f"    text: \"Step {i}: hello {{{{ visitor.name or 'there' }}}}, here is some text.\""]
        elif kind == 1:
            var = f"answer_{i}"
            saved.append(var)
            out += [f"  - id: b{i}", "    type: question", f"    text: Question number {i}?",
                    "    choices: [Small, Medium, Large, Enterprise]", f"    save: {var}",
                    f"    on_invalid: b{blocks - 1}"]
        elif kind == 2:
            var = saved[-1]
            out += [f"  - id: b{i}", "    type: branch", "    cases:",
                    f"      - when: {var} in ['Large', 'Enterprise'] and visitor.returning",
                    f"        next: {nxt}", f"    default: {nxt}"]
        elif kind == 3:
            out += [f"  - id: b{i}", "    type: tag", f"    add: [step-{i}, \"{{{{ {saved[-1]} }}}}\"]"]
        elif kind == 4:
            out += [f"  - id: b{i}", "    type: set", "    values:",
                    f"      score_{i}: \"{{{{ 10 if {saved[-1]} == 'Large' else 1 }}}}\""]
            saved.append(f"score_{i}")
        else:
            out += [f"  - id: b{i}", "    type: data_update", "    endpoint: crm",
                    "    body:", f"      size: \"{{{{ {saved[-2]} }}}}\"",
                    f"      score: \"{{{{ {saved[-1]} }}}}\"",
                    f"    on_error: {nxt}"]
        out.append(f"    note: generated block {i}")
        n += 1
    out += [f"  - id: b{n}", "    type: end", "    outcome: completed"]
    return "\n".join(out) + "\n"


def write_project(folder: Path, flows: int, blocks: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "flowctl.yaml").write_text(CONFIG, encoding="utf-8")
    paths = []
    for k in range(flows):
        path = folder / f"gen-{k:04d}.flow.yaml"
        path.write_text(flow_text(f"gen-{k:04d}", blocks, priority=k), encoding="utf-8")
        paths.append(path)
    return paths
