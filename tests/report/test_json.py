from __future__ import annotations

import json


def test_json_shape(render, result):
    data = json.loads(render("json", result))
    assert data["version"] == 1
    assert data["summary"] == {"errors": 1, "warnings": 1, "infos": 1, "files": 3}
    first, second, third = data["problems"]
    assert first == {
        "file": "flows/a.flow.yaml", "line": 3, "column": 11, "code": "G002",
        "rule": "unknown-target", "severity": "error",
        "message": 'unknown target "paymnt"', "hint": 'did you mean "payment"?',
    }
    assert (second["code"], second["severity"], second["hint"]) == ("X005", "warning", None)
    assert (third["file"], third["severity"]) == ("flows/b.flow.yaml", "info")


def test_json_empty(render, empty):
    data = json.loads(render("json", empty))
    assert data == {"version": 1, "problems": [],
                    "summary": {"errors": 0, "warnings": 0, "infos": 0, "files": 2}}
