"""The JSON Schemas in schemas/: well-formed, documented, and right about data-driven cases.

Cases live in tests/cases/schema/{valid,invalid}/*.yaml.  The first line of a case names its
schema; an invalid case adds one or more ``# error:`` lines, each an instance path (a JSON
pointer; ``/`` alone is the document root) and a substring of the expected jsonschema-rs
message (quotes ' and " are interchangeable):

    # schema: flow
    # error: /blocks/1/retries "three" is not of type "integer"

Cases are read by flowctl's own YAML reader (flowctl.loader.yaml_reader), so as YAML 1.2
(core schema): ``yes``/``no``/``on``/``off`` and dates stay strings.  Every case is validated
by jsonschema-rs (what flowctl uses) and by the reference ``jsonschema`` library, which must
agree.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from flowctl.loader.yaml_reader import parse_yaml_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schemas"
CASE_DIR = ROOT / "tests" / "cases" / "schema"
KINDS = ("flow", "project", "visitors")
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Wording that means a validator could not say what is wrong: never acceptable.
VAGUE = ("is not valid under any of the given schemas", "oneOf", "anyOf", "one of the given")


# --------------------------------------------------------------------------------------
# Reading: flowctl's own reader, so the cases mean what they mean to flowctl
# --------------------------------------------------------------------------------------


def load_yaml12(text: str, name: str = "<case>") -> Any:
    """The data flowctl reads from ``text`` (flowctl.loader.yaml_reader), which must read it
    without a problem: YAML 1.2 core schema, no tags, no duplicate keys."""
    doc = parse_yaml_text(text, name)
    assert not doc.problems, "\n".join(f"{p.span} {p.code}: {p.message}" for p in doc.problems)
    return doc.data


def test_yaml12_loader() -> None:
    data = load_yaml12("a: yes\nb: 2026-11-24\nc: on\nd: 3\ne: true\nf: '7'\ng: 1.5\nh: ~\n")
    assert data == {"a": "yes", "b": "2026-11-24", "c": "on", "d": 3, "e": True, "f": "7",
                    "g": 1.5, "h": None}


# --------------------------------------------------------------------------------------
# The schemas themselves
# --------------------------------------------------------------------------------------


@cache
def schema(kind: str) -> dict[str, Any]:
    with open(SCHEMA_DIR / f"{kind}.schema.json", encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


@cache
def rs_validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(schema(kind))


@cache
def py_validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(kind))


@pytest.mark.parametrize("kind", KINDS)
def test_meta_schema(kind: str) -> None:
    jsonschema.Draft202012Validator.check_schema(schema(kind))
    jsonschema_rs.Draft202012Validator(schema(kind))  # compiles (patterns included)


@pytest.mark.parametrize("kind", KINDS)
def test_header(kind: str) -> None:
    data = schema(kind)
    assert data["$schema"] == DRAFT
    assert data["$id"] == f"https://flowctl.dev/schemas/v1/{kind}.schema.json"
    assert data.get("title") and data.get("description")
    # Files point at the schema with a comment line, never with a `$schema` key.
    assert "$schema" not in data["properties"]


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _walk(node: Any, path: str = "#"):  # type: ignore[no-untyped-def]
    """Yield (json path, subschema) for every subschema, depth first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("enum", "const", "examples", "default", "required") or key.startswith("x-"):
                continue
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(kind: str) -> None:
    root = schema(kind)
    missing = []
    for path, node in _walk(root):
        if "/if/" in f"{path}/":
            continue  # `if` conditions are never shown to authors
        for name, sub in (node.get("properties") or {}).items():
            if not isinstance(sub, dict):
                missing.append(f"{path}/properties/{name}")
                continue
            described = sub.get("description") or (
                "$ref" in sub and _resolve(root, sub["$ref"]).get("description")
            )
            if not described:
                missing.append(f"{path}/properties/{name}")
    assert not missing, "properties without a description:\n" + "\n".join(missing)


@pytest.mark.parametrize("kind", KINDS)
def test_refs_resolve(kind: str) -> None:
    root = schema(kind)
    for _path, node in _walk(root):
        if "$ref" in node:
            _resolve(root, node["$ref"])


@pytest.mark.parametrize("kind", KINDS)
def test_no_any_of_or_one_of_outside_if(kind: str) -> None:
    """anyOf/oneOf produce "not valid under any of the given schemas"; only `if` may use them."""
    offenders = [
        path for path, node in _walk(schema(kind))
        if ("anyOf" in node or "oneOf" in node) and "/if/" not in f"{path}/"
    ]
    assert not offenders, offenders


def test_block_types_are_discriminated_with_if_then() -> None:
    defs = schema("flow")["$defs"]
    block = defs["block"]
    assert block["required"] == ["id", "type"]
    types = block["properties"]["type"]["enum"]
    assert len(types) == 13
    branches = block["allOf"]
    assert [b["if"]["properties"]["type"]["const"] for b in branches] == types
    for branch, block_type in zip(branches, types, strict=True):
        assert branch["if"]["required"] == ["type"]
        target = _resolve(schema("flow"), branch["then"]["$ref"])
        assert target["additionalProperties"] is False, block_type
        assert {"id", "type", "note"} <= set(target["properties"]), block_type
        assert target["properties"]["type"]["const"] == block_type
        assert {"id", "type"} <= set(target["required"]), block_type


@pytest.mark.parametrize("kind", KINDS)
def test_fixed_objects_are_closed(kind: str) -> None:
    """An object schema that lists its properties rejects unknown keys (except the context)."""
    open_ok = {
        "#/$defs/context",  # saved variables sit beside the known context parts
        "#/$defs/block",  # closed by the per-type schema its `type` selects
    }
    offenders = []
    for path, node in _walk(schema(kind)):
        inside_if = "/if/" in f"{path}/"
        if "properties" in node and path not in open_ok and not inside_if \
                and node.get("additionalProperties") is not False:
            offenders.append(path)
    assert not offenders, offenders


# --------------------------------------------------------------------------------------
# Data-driven cases
# --------------------------------------------------------------------------------------

HEADER = re.compile(r"^#\s*schema:\s*(flow|project|visitors)\s*$")
ERROR = re.compile(r"^#\s*error:\s*(\S+)\s+(.+?)\s*$")


def _cases(folder: str) -> list[Path]:
    return sorted((CASE_DIR / folder).glob("*.yaml"))


def _read_case(case: Path) -> tuple[str, list[tuple[str, str]], Any]:
    text = case.read_text(encoding="utf-8")
    lines = text.splitlines()
    match = HEADER.match(lines[0]) if lines else None
    assert match, f"{case.name}: first line must be '# schema: flow|project|visitors'"
    errors = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        found = ERROR.match(line)
        if found:
            errors.append((found.group(1), found.group(2)))
    return match.group(1), errors, load_yaml12(text, case.name)


def _pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts)


def _norm(text: str) -> str:
    return text.replace("'", '"')


def _rs_errors(kind: str, data: Any) -> list[tuple[str, str]]:
    return [(_pointer(e.instance_path), e.message) for e in rs_validator(kind).iter_errors(data)]


def _py_errors(kind: str, data: Any) -> list[tuple[str, str]]:
    return [(_pointer(e.absolute_path), e.message) for e in py_validator(kind).iter_errors(data)]


def test_case_counts() -> None:
    assert len(_cases("valid")) >= 12
    assert len(_cases("invalid")) >= 25


@pytest.mark.parametrize("case", _cases("valid"), ids=lambda p: p.stem)
def test_valid_case(case: Path) -> None:
    kind, errors, data = _read_case(case)
    assert not errors, f"{case.name}: a valid case declares no '# error:'"
    rs = _rs_errors(kind, data)
    assert not rs, "\n".join(f"{p}: {m}" for p, m in rs)
    py = _py_errors(kind, data)
    assert not py, "jsonschema disagrees:\n" + "\n".join(f"{p}: {m}" for p, m in py)


@pytest.mark.parametrize("case", _cases("invalid"), ids=lambda p: p.stem)
def test_invalid_case(case: Path) -> None:
    kind, expected, data = _read_case(case)
    assert expected, f"{case.name}: an invalid case declares '# error: <pointer> <message>'"
    rs = _rs_errors(kind, data)
    shown = "\n".join(f"  {p}: {m}" for p, m in rs) or "  (none)"
    for pointer, substring in expected:
        want_path = "/" if pointer in ("/", '""') else pointer
        assert any(
            path == want_path and _norm(substring) in _norm(message) for path, message in rs
        ), f"{case.name}: no error at {want_path} containing {substring!r}; got:\n{shown}"
    assert len(set(rs)) == len(rs), f"{case.name}: the same error twice:\n{shown}"
    for _path, message in rs:
        assert not any(word in message for word in VAGUE), f"vague message: {message}"
        assert len(message) <= 300, f"message too long to read: {message}"
    py = _py_errors(kind, data)
    assert py, f"{case.name}: jsonschema finds no error"
    for pointer, _substring in expected:
        want_path = "/" if pointer in ("/", '""') else pointer
        assert any(path == want_path for path, _ in py), (
            f"{case.name}: jsonschema reports no error at {want_path}; got {py}"
        )


# --------------------------------------------------------------------------------------
# The example project follows the schemas
# --------------------------------------------------------------------------------------

def _example_files() -> list[Path]:
    folder = ROOT / "flows"
    return sorted(
        p for p in folder.rglob("*.yaml")
        if p.name == "flowctl.yaml" or p.name.endswith((".flow.yaml", ".visitors.yaml"))
    ) if folder.is_dir() else []


@pytest.mark.parametrize("path", _example_files(), ids=lambda p: p.name)
def test_example_project_files(path: Path) -> None:
    kind = ("project" if path.name == "flowctl.yaml"
            else "visitors" if path.name.endswith(".visitors.yaml") else "flow")
    data = load_yaml12(path.read_text(encoding="utf-8"), path.name)
    rs = _rs_errors(kind, data)
    assert not rs, "\n".join(f"{p}: {m}" for p, m in rs)
