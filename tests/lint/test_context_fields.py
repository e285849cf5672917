"""The context's fields have one home (the visitors schema, read by
flowctl.loader.context_fields); the other names for them must agree with it."""

from __future__ import annotations

from flowctl.engine.context import VISITOR_DEFAULTS
from flowctl.engine.device import FIELDS
from flowctl.expr.syntax import CONTEXT_NAMES
from flowctl.loader.context_fields import context_roots, unknown_field


def test_expression_names_are_the_context_roots() -> None:
    assert frozenset(context_roots()) == CONTEXT_NAMES


def test_engine_defaults_and_device_fields_are_context_fields() -> None:
    for name in VISITOR_DEFAULTS:
        assert unknown_field(("visitor", name)) is None, name
    for name in FIELDS:
        assert unknown_field(("device", name)) is None, name


def test_closed_and_open_fields() -> None:
    roots = context_roots()
    assert unknown_field(("page", "pth")) == (roots["page"], "pth")
    assert unknown_field(("visitor", "utm", "term"))[1] == "term"  # type: ignore[index]
    for open_path in (("visitor", "attributes", "x"), ("event", "data", "x"),
                      ("page", "query", "x"), ("agents", "departments", "x"),
                      ("now", "hour"), ("page", "path", "startswith"), ("visitor", "get")):
        assert unknown_field(open_path) is None, open_path
