"""Keep every test's project search inside its own temporary folder.

flowctl looks for flowctl.yaml in the folders above the working directory, like git; a
stray flowctl.yaml in /tmp would otherwise become every temporary project's root.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _ceiling(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWCTL_CEILING_DIRECTORIES", str(tmp_path_factory.getbasetemp()))
