"""Check parsed data against the shipped JSON Schemas and locate each violation.

jsonschema-rs validates (compiled, fast); this module turns its errors into problems at
the right line and column with a message written for a flow author: the unknown field is
pointed at its own key with a "did you mean", a missing field at the mapping that lacks it.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from flowctl.loader.yaml_reader import YamlDocument
from flowctl.model.blocks import BLOCK_TYPES
from flowctl.model.problem import Problem
from flowctl.model.span import SourceSpan
from flowctl.model.times import FIRST_YEAR, LAST_YEAR, datetime_problem

SCHEMA_VIOLATION = "S003"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
SCHEMA_FILES = {
    "flow": "flow.schema.json",
    "project": "project.schema.json",
    "visitors": "visitors.schema.json",
}

_TYPE_NAMES = {
    str: "string", bool: "boolean", int: "integer", float: "number", list: "list",
    dict: "mapping", type(None): "null",
}


@cache
def load_schema(kind: str) -> dict[str, Any]:
    with open(SCHEMA_DIR / SCHEMA_FILES[kind], encoding="utf-8") as handle:
        schema: dict[str, Any] = json.load(handle)
    return schema


@cache
def _validator(kind: str) -> Any:
    import jsonschema_rs

    # Formats are checked by flowctl's own readers of them: a `date-time` (a `now`) must be
    # a real one in the supported years (flowctl.model.times, as the clock reads it); a
    # `date` (closed days, active windows) is lint's (T004, T005), which say more.
    return jsonschema_rs.validator_for(load_schema(kind), validate_formats=True, formats={
        "date-time": lambda text: datetime_problem(text) is None,
        "date": lambda text: True,
    })


def check_schema(doc: YamlDocument, kind: str) -> list[Problem]:
    """Validate ``doc.data`` against schema ``kind``; problems sorted by position."""
    data = doc.data
    if data is None:
        what = {"flow": "a flow", "project": "project settings", "visitors": "visitors"}[kind]
        return [Problem(f"empty file: expected {what} (a YAML mapping)", SourceSpan(doc.path),
                        code=SCHEMA_VIOLATION)]
    problems: list[Problem] = []
    seen: set[tuple[int, int, str]] = set()
    for error in _validator(kind).iter_errors(data):
        for problem in _to_problems(doc, kind, error):
            key = (problem.span.line, problem.span.column, problem.message)
            if key not in seen:
                seen.add(key)
                problems.append(problem)
    return sorted(problems, key=lambda p: (p.span.line, p.span.column))


def _to_problems(doc: YamlDocument, kind: str, error: Any) -> list[Problem]:
    path = tuple(error.instance_path)
    where = _where(doc.data, path)
    name = type(error.kind).__name__
    if name == "AdditionalProperties":
        allowed = _allowed_properties(kind, list(error.schema_path))
        problems = []
        block_type = _block_type(doc.data, path)
        for field in error.kind.unexpected:
            guess = difflib.get_close_matches(field, allowed, n=1, cutoff=0.6)
            hint = f"did you mean '{guess[0]}'?" if guess else (
                f"allowed here: {', '.join(sorted(allowed))}" if allowed else None
            )
            if field == "next" and block_type in ("end", "escalate", "goto"):
                hint = f"a{'n' if block_type[0] in 'aeiou' else ''} {block_type} block ends the flow"
                if block_type == "escalate":
                    hint += "; `when_unavailable` names the block used when nobody is online"
            elif field == "next" and block_type == "branch":
                hint = "a branch leaves through its cases; `default` names where it goes otherwise"
            problems.append(Problem(
                f"unknown field '{field}'{where}", doc.key_span((*path, field)),
                code=SCHEMA_VIOLATION, hint=hint,
            ))
        return problems
    if name == "Required":
        missing = error.kind.property
        parent = _schema_at(kind, list(error.schema_path)[:-1])
        return [Problem(f"missing required field '{missing}'{where}", doc.span(path),
                        code=SCHEMA_VIOLATION, hint=parent.get("x-hint"))]
    span = doc.span(path)
    field = str(path[-1]) if path and isinstance(path[-1], str) else ""
    prefix = f"{field}: " if field else ""
    instance = error.instance
    hint = None
    here = _schema_at(kind, list(error.schema_path)[:-1])
    if name == "Type":
        expected = here.get("type")
        expected_text = " or ".join(expected) if isinstance(expected, list) else str(expected)
        message = f"{prefix}expected {_article(expected_text)}, got {_describe(instance)}"
        wanted = expected if isinstance(expected, list) else [expected]
        if "string" in wanted and isinstance(instance, int | float) \
                and not isinstance(instance, bool):
            raw = _raw_scalar(doc, path)
            hint = f'quote it: "{raw}"' if raw else None
    elif name == "Enum":
        options = here.get("enum", [])
        listed = ", ".join(map(str, options))
        what = here.get("x-what")
        message = (f"{prefix}{_show(instance)} is not {what}" if what
                   else f"{prefix}{_show(instance)} is not one of: {listed}")
        hint = f"one of: {listed}" if what else None
        if isinstance(instance, str):
            guess = difflib.get_close_matches(instance, [str(o) for o in options], n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else hint
    elif name == "Pattern":
        what = here.get("x-what")
        message = (f"{prefix}{_show(instance)} is not {what}" if what
                   else f"{prefix}{_show(instance)} does not match {here.get('pattern')}")
        hint = here.get("x-hint") or _first_sentence(here.get("description"))
        choices = here.get("x-choices")
        if isinstance(instance, str) and choices:
            guess = difflib.get_close_matches(instance, choices, n=1)
            hint = f"did you mean '{guess[0]}'?" if guess else hint
    elif name == "Format":
        pattern = here.get("pattern")
        if isinstance(pattern, str) and not re.search(pattern, str(instance)):
            return []  # the pattern's problem says it
        reason = datetime_problem(instance)
        message = f"{prefix}{_show(instance)}: {reason}"
        hint = (f"choose a time in the years {FIRST_YEAR} to {LAST_YEAR}"
                if reason and "supported range" in reason else here.get("x-hint"))
    elif name in ("AnyOf", "OneOfNotValid", "Not") and here.get("x-hint"):
        message = f"{prefix}{here['x-hint']}"
    else:
        message = f"{prefix}{error.message}"
        hint = here.get("x-hint")
    return [Problem(message + where, span, code=SCHEMA_VIOLATION, hint=hint)]


def _raw_scalar(doc: YamlDocument, path: tuple[Any, ...]) -> str | None:
    """The source text of the plain scalar at ``path`` (``1.10`` where YAML read 1.1)."""
    mark = doc.marks.get(path)
    if mark is None:
        return None
    line, column = mark[0], mark[1]
    lines = doc.text.split("\n", line)
    if len(lines) < line:
        return None
    found = re.match(r"[^\s,\[\]{}#]+", lines[line - 1][column - 1:])
    return found.group(0) if found else None


def _block_type(data: Any, path: tuple[Any, ...]) -> str | None:
    if len(path) == 2 and path[0] == "blocks" and isinstance(path[1], int):
        try:
            block = data["blocks"][path[1]]
        except (KeyError, IndexError, TypeError):
            return None
        if isinstance(block, dict) and isinstance(block.get("type"), str):
            return str(block["type"])
    return None


def _where(data: Any, path: tuple[Any, ...]) -> str:
    """' in question block 'ask_size'' when the path lies inside a flow block."""
    if len(path) >= 2 and path[0] == "blocks" and isinstance(path[1], int):
        try:
            block = data["blocks"][path[1]]
        except (KeyError, IndexError, TypeError):
            return ""
        if isinstance(block, dict):
            block_type = block.get("type")
            block_id = block.get("id")
            known = isinstance(block_type, str) and block_type in BLOCK_TYPES
            kind = f"{block_type} block" if known else "block"
            return f" in {kind} '{block_id}'" if isinstance(block_id, str) else f" in {kind}"
    if len(path) >= 2 and path[0] == "visitors" and isinstance(path[1], int):
        try:
            visitor = data["visitors"][path[1]]
        except (KeyError, IndexError, TypeError):
            return ""
        if isinstance(visitor, dict) and isinstance(visitor.get("name"), str):
            return f" in visitor '{visitor['name']}'"
    return ""


def _schema_at(kind: str, schema_path: list[Any]) -> dict[str, Any]:
    """Follow a schema path (through ``$ref``) to the subschema it names."""
    root = load_schema(kind)
    node: Any = root
    for part in schema_path:
        node = _deref(root, node)
        try:
            node = node[part] if isinstance(node, dict) else node[int(part)]
        except (KeyError, IndexError, ValueError, TypeError):
            return {}
    node = _deref(root, node)
    return node if isinstance(node, dict) else {}


def _deref(root: dict[str, Any], node: Any) -> Any:
    for _ in range(20):
        if isinstance(node, dict) and "$ref" in node and isinstance(node["$ref"], str):
            ref = node["$ref"]
            if not ref.startswith("#/"):
                return node
            target: Any = root
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node = target
        else:
            break
    return node


def _allowed_properties(kind: str, schema_path: list[Any]) -> list[str]:
    schema = _schema_at(kind, schema_path[:-1])
    return sorted(schema.get("properties", {}))


def _describe(value: Any) -> str:
    type_name = _TYPE_NAMES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return type_name
    return f"{type_name} {_show(value)}"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "..."


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _first_sentence(text: Any) -> str | None:
    if not isinstance(text, str) or not text:
        return None
    sentence = text.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= 160 else None
