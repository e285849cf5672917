"""``flowctl serve`` with a database it cannot use: one clear line, exit 2, no traceback,
before any port opens."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app


@pytest.mark.parametrize(("db", "says"), [
    ("mysql://x", "unknown database URL"),
    ("postgresql://nobody@127.0.0.1:1/x", "Connection refused"),
    ("sqlite:////proc/no-such-folder/x.db", "No such file"),
])
@pytest.mark.parametrize("migrate_only", [True, False])
def test_a_database_it_cannot_use(db: str, says: str, migrate_only: bool) -> None:
    args = ["serve", "--db", db, "--port", "18799"] + (["--migrate-only"] if migrate_only else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert says in result.output and "cannot use the database" in result.output
    assert "Traceback" not in result.output


def test_bad_settings_name_what_is_wrong() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "0"])
    assert result.exit_code == 2 and "port 0" in result.output
