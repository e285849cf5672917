from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from flowctl.lint.catalogue import all_rules
from flowctl.lint.runner import LintResult

from .conftest import problem

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "data" / "sarif-2.1.0.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert "sarif-schema-2.1.0" in schema["$id"]
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/")
    assert SCHEMA_PATH.stat().st_size > 90_000
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def _errors(validator: Draft7Validator, doc: dict) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_valid_against_official_schema(render, result, validator):
    doc = json.loads(render("sarif", result, tool_version="9.9.9"))
    assert _errors(validator, doc) == []


def test_empty_is_valid(render, empty, validator):
    doc = json.loads(render("sarif", empty))
    assert _errors(validator, doc) == []
    assert doc["runs"][0]["results"] == []


def test_schema_catches_mistakes(validator):
    assert _errors(validator, {"version": "2.1.0", "runs": [{"tool": {}}]})


def test_content(render, result):
    doc = json.loads(render("sarif", result, tool_version="9.9.9"))
    assert doc["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("flowctl", "9.9.9")
    assert driver["informationUri"].startswith("https://")
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == list(rules)
    g002 = driver["rules"][list(rules).index("G002")]
    assert g002["name"] == "unknown-target"
    assert g002["shortDescription"]["text"] == rules["G002"].summary
    assert g002["fullDescription"]["text"] == rules["G002"].doc
    assert g002["defaultConfiguration"]["level"] == "error"

    first, second, third = run["results"]
    assert first["ruleId"] == "G002"
    assert driver["rules"][first["ruleIndex"]]["id"] == "G002"
    assert first["level"] == "error"
    assert first["message"]["text"] == 'unknown target "paymnt"\nhint: did you mean "payment"?'
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "flows/a.flow.yaml", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 11}
    assert first["partialFingerprints"]["flowctl/v1"]
    assert (second["level"], third["level"]) == ("warning", "note")
    assert len({r["partialFingerprints"]["flowctl/v1"] for r in run["results"]}) == 3


def test_default_version_and_paths(render, validator):
    from flowctl import __version__

    result = LintResult(problems=[problem("m", "flows\\my flow.yaml", 1, 1, "", "")],
                        files=["flows\\my flow.yaml"])
    doc = json.loads(render("sarif", result))
    assert _errors(validator, doc) == []
    assert doc["runs"][0]["tool"]["driver"]["version"] == __version__
    res = doc["runs"][0]["results"][0]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "flows/my%20flow.yaml")
    assert "ruleIndex" not in res
