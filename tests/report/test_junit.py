from __future__ import annotations

from junitparser import Failure, JUnitXml


def _suite(xml: str):
    parsed = JUnitXml.fromstring(xml)
    suites = [parsed] if parsed._tag == "testsuite" else list(parsed)
    assert len(suites) == 1
    return suites[0]


def test_junit(render, result):
    suite = _suite(render("junit", result))
    assert suite.name == "flowctl lint"
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 1, 0, 0)
    cases = {case.name: case for case in suite}
    assert list(cases) == ["flows/a.flow.yaml", "flows/b.flow.yaml", "flows/clean.flow.yaml"]
    assert all(case.classname == "flowctl.lint" for case in cases.values())
    failing = cases["flows/a.flow.yaml"]
    (failure,) = failing.result
    assert isinstance(failure, Failure)
    assert failure.message == "2 problems"
    assert failure.type == "lint"
    assert failure.text.splitlines() == [
        '3:11 error[G002] unknown target "paymnt" (hint: did you mean "payment"?)',
        "4:19 warning[X005] text is long",
    ]
    assert cases["flows/b.flow.yaml"].is_passed  # infos don't fail
    assert cases["flows/clean.flow.yaml"].is_passed


def test_junit_clean(render, empty):
    suite = _suite(render("junit", empty))
    assert (suite.tests, suite.failures) == (2, 0)
    assert all(case.is_passed for case in suite)
