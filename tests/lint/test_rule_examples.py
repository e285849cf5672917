"""Every rule's docstring examples are run: `Bad:` must report the rule's code, `Good:` must not.

The examples are what `flowctl rules CODE` prints and docs/rules.md shows, so a wrong one
misleads every reader.  Most are fragments (a few blocks, one field, a section of
flowctl.yaml); PLACES below says, for each rule, where its examples go in a small project
made of the lint cases' tests/cases/lint/flowctl.yaml and knowledge/ folder:

- a flow example that is a list goes under `blocks:` of example.flow.yaml; one with
  top-level keys (`start:`, `flow:`...) replaces those keys of that file;
- a flowctl.yaml or visitors example replaces the top-level keys it sets;
- a line `# flowctl.yaml: KEY: VALUE` in an example states what it assumes of
  flowctl.yaml, and is applied too;
- lines `# NAME.flow.yaml` split an example into several flow files.

Neither example may have a problem reading its files (an S code; only the Bad example of
an S rule may), so that a Good example cannot pass merely because it was never read.
"""

from __future__ import annotations

import re
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from flowctl.lint.catalogue import all_rules
from flowctl.lint.registry import Rule
from flowctl.lint.runner import lint_project
from flowctl.loader.project import load_project
from flowctl.model.problem import Problem

CASES = Path(__file__).parent.parent / "cases" / "lint"
RULES = all_rules()

SLOT = "<example>"  # where a template takes the example, indented as the marker is
TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.MULTILINE)
FILE_HEADER = re.compile(r"^#\s*([\w-]+\.flow\.yaml)\s*$", re.MULTILINE)
ASSUMES_PROJECT = re.compile(r"^\s*#\s*flowctl\.yaml:\s*(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class Place:
    """Where a rule's examples go.

    ``kind`` is the file the example (after ``template``) sets top-level keys of: ``flow``
    (example.flow.yaml), ``project`` (flowctl.yaml), ``visitors`` (example.visitors.yaml)
    or ``article`` (knowledge/example.md, taken as it is).  ``extra`` adds files.
    """

    kind: str
    template: str = SLOT
    extra: dict[str, str] = field(default_factory=dict)


LEAD_FLOW = """\
flow: lead-qualification
blocks:
  - {id: greet, type: message, text: Hi}
  - {id: ask_size, type: question, text: How big is your team?, choices: [1-10, 200+],
     on_invalid: self_serve}
  - {id: self_serve, type: end, text: Sign up online}
"""
VISITOR = "visitors:\n  - name: example\n    " + SLOT
BLOCKS = "blocks:\n  " + SLOT
QUESTION = """\
blocks:
  - id: ask
    type: question
    text: Your answer?
    on_invalid: done
    %s
  - {id: done, type: end}
"""

FLOW_BLOCKS = Place("flow", BLOCKS)
PLACES: dict[str, Place] = {
    "C001": Place("visitors", extra={"lead.flow.yaml": LEAD_FLOW}),
    "C002": Place("visitors", extra={"lead.flow.yaml": LEAD_FLOW}),
    "C003": Place("visitors", VISITOR, extra={"lead.flow.yaml": LEAD_FLOW}),
    "C004": Place("visitors", extra={"lead.flow.yaml": LEAD_FLOW}),
    "C005": Place("visitors", VISITOR, extra={"lead.flow.yaml": LEAD_FLOW}),
    "C006": Place("visitors", VISITOR, extra={"lead.flow.yaml": LEAD_FLOW}),
    "C007": Place("visitors", VISITOR, extra={"lead.flow.yaml": LEAD_FLOW.replace(
        "blocks:", "start: {on: page_view, when: visitor.time_on_page >= 20}\nblocks:", 1)}),
    "G001": FLOW_BLOCKS,
    "G002": FLOW_BLOCKS,
    "G003": FLOW_BLOCKS,
    "G004": FLOW_BLOCKS,
    "G005": FLOW_BLOCKS,
    "G006": Place("flow", extra={"a.flow.yaml": "flow: feedback\nblocks:\n  - {id: done, type: end}\n"}),
    "M001": FLOW_BLOCKS,
    "P001": FLOW_BLOCKS,
    "P002": Place("flow", QUESTION % ("expect: regex\n    " + SLOT)),
    "P003": Place("project", "endpoints:\n  crm:\n    url: https://crm.example.com/api\n    " + SLOT),
    "R001": FLOW_BLOCKS,
    "R002": FLOW_BLOCKS,
    "R003": Place("flow"),
    "R004": FLOW_BLOCKS,
    "R005": FLOW_BLOCKS,
    "R006": Place("flow", BLOCKS, extra={
        "onboarding.flow.yaml": "flow: onboarding\nblocks:\n  - {id: done, type: end}\n"}),
    "S001": Place("flow", "blocks:\n  - id: greet\n    type: message\n    " + SLOT),
    "S002": FLOW_BLOCKS,
    "S003": FLOW_BLOCKS,
    "S004": Place("flow", "blocks:\n  - id: greet\n    type: message\n    " + SLOT),
    "S005": Place("flow", "blocks:\n  - id: remember\n    type: set\n    values:\n      " + SLOT),
    "S006": Place("article"),
    "S007": Place("project"),
    "T001": Place("flow"),
    "T002": Place("flow"),
    "T003": Place("project"),
    "T004": Place("project"),
    "T005": Place("flow"),
    "V001": FLOW_BLOCKS,
    "V002": FLOW_BLOCKS,
    "V003": FLOW_BLOCKS,
    "V004": FLOW_BLOCKS,
    "V005": Place("flow", "blocks:\n  - id: route\n    type: branch\n    default: done\n"
                          "    cases:\n      " + SLOT),
    "V006": FLOW_BLOCKS,
    "V007": Place("flow"),
    "V008": FLOW_BLOCKS,
    "V009": FLOW_BLOCKS,
    "X001": FLOW_BLOCKS,
    "X002": FLOW_BLOCKS,
    "X003": FLOW_BLOCKS,
    "X004": FLOW_BLOCKS,
    "X005": FLOW_BLOCKS,
    "X006": FLOW_BLOCKS,
    "X007": Place("flow", QUESTION % SLOT),
    "X008": Place("flow", QUESTION % SLOT),
    "X009": FLOW_BLOCKS,
}


def examples(rule: Rule) -> dict[str, str]:
    """The rule's `Bad:` and `Good:` examples, read as docs/rules.md reads them."""
    found: dict[str, str] = {}
    lines = rule.doc.splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"^(Bad|Good):\s*$", line)
        if not match:
            continue
        assert match.group(1) not in found, f"{rule.code}: two `{line}` sections"
        block = []
        for text in lines[number + 1:]:
            if text.strip() and not text.startswith("    "):
                break
            block.append(text[4:])
        found[match.group(1)] = "\n".join(block).strip("\n") + "\n"
    return found


def fill(template: str, example: str) -> str:
    """``template`` with the example at SLOT, every example line indented as SLOT is."""
    for line in template.splitlines():
        if SLOT in line:
            indent = " " * line.index(SLOT)
            return template.replace(line, textwrap.indent(example, indent).rstrip("\n"))
    raise AssertionError("a template without " + SLOT)


def sections(text: str) -> dict[str, str]:
    """Top-level key → its text (the key's line and the indented lines below it)."""
    found: dict[str, str] = {}
    starts = [(m.start(), m.group(1)) for m in TOP_KEY.finditer(text)]
    for (start, key), (end, _) in zip(starts, [*starts[1:], (len(text), "")], strict=True):
        found[key] = text[start:end].rstrip("\n") + "\n"
    return found


def merge(example: str, defaults: str) -> str:
    """The example, then every top-level key of ``defaults`` the example does not set."""
    own = set(sections(example))
    rest = [body for key, body in sections(defaults).items() if key not in own]
    return example.rstrip("\n") + "\n" + "".join(rest)


def project_files(code: str, example: str) -> dict[str, str]:
    place = PLACES[code]
    files = dict(place.extra)
    project = (CASES / "flowctl.yaml").read_text(encoding="utf-8")
    for assumed in ASSUMES_PROJECT.findall(example):
        project = merge(assumed, project)
    if place.kind == "article":
        files["knowledge/example.md"] = example
    elif place.kind == "project":
        project = merge(fill(place.template, example), project)
    elif place.kind == "visitors":
        defaults = "flow: lead-qualification\nvisitors:\n  - name: example\n"
        files["example.visitors.yaml"] = merge(fill(place.template, example), defaults)
    else:
        assert place.kind == "flow", place.kind
        parts = FILE_HEADER.split(example)  # [before, name, text, name, text...]
        named = list(zip(parts[1::2], parts[2::2], strict=True)) or [("example.flow.yaml", example)]
        for name, text in named:
            defaults = f"flow: {name.removesuffix('.flow.yaml')}\nblocks:\n  - {{id: done, type: end}}\n"
            files[name] = merge(fill(place.template, text), defaults)
    files["flowctl.yaml"] = project
    return files


def lint_example(code: str, example: str, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> tuple[list[Problem], str]:
    root = tmp_path / "project"
    shutil.copytree(CASES / "knowledge", root / "knowledge")
    files = project_files(code, example)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(root)
    # a visitors rule's example may have no flow
    project, requested = load_project([], require_flows=False)
    wanted = [str(p.relative_to(root)) for p in requested]
    wanted += [name for name in files if name.endswith(".md")]  # articles only when named
    result = lint_project(project, wanted)
    shown = "\n".join(f"--- {name}\n{text}" for name, text in files.items())
    shown += "\n--- reported:\n" + "\n".join(
        f"{p.span} {p.code}: {p.message}" for p in result.problems)
    return result.problems, shown


def test_every_rule_has_a_place() -> None:
    assert set(PLACES) == set(RULES), "say in PLACES where each rule's examples go"


@pytest.mark.parametrize("code", sorted(RULES))
def test_examples(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    found = examples(RULES[code])
    assert set(found) == {"Bad", "Good"}, f"{code} documents {sorted(found)}"
    if code not in PLACES:
        pytest.fail(f"say in PLACES where {code}'s examples go")
    for label, example in found.items():
        problems, shown = lint_example(code, example, tmp_path / label, monkeypatch)
        codes = {p.code for p in problems}
        # A Bad S example may fail to load in several ways; everything else must load.
        unread = {c for c in codes if c.startswith("S")}
        if label == "Bad" and code.startswith("S"):
            unread = set()
        assert not unread, f"{code} {label}: the example's files cannot be read\n{shown}"
        if label == "Bad":
            assert code in codes, f"{code}: the Bad example does not report {code}\n{shown}"
        else:
            assert code not in codes, f"{code}: the Good example reports {code}\n{shown}"
