"""On CI, the real components the suite uses must be there: a test that skips because `dot`
or PostgreSQL is missing would be a green that tested nothing (``make test`` installs
Graphviz; this kind of machine starts PostgreSQL at 127.0.0.1:5432)."""

from __future__ import annotations

import os
import shutil

import pytest

on_ci = pytest.mark.skipif(not os.environ.get("CI"), reason="checked on CI only (CI=true)")


@on_ci
def test_graphviz_is_installed() -> None:
    assert shutil.which("dot"), "Graphviz `dot` is missing: `make test` should have installed it"


@on_ci
def test_postgresql_is_reachable() -> None:
    from tests.server.conftest import PG_ADMIN, postgres_available

    assert postgres_available(), f"PostgreSQL is not reachable at {PG_ADMIN}"
