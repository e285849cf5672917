"""Measure flowctl as it runs once installed: with its bytecode compiled.

pip compiles every module of a wheel it installs, but an editable install (``pip install -e``)
leaves flowctl's modules as sources, and with ``PYTHONDONTWRITEBYTECODE`` set (as on CI
machines) every run would compile them again: about 50 ms that no user pays and that the
baselines (yamllint, check-jsonschema, installed from wheels) do not pay either.
"""

from __future__ import annotations

import compileall
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "flowctl"


def compile_flowctl() -> None:
    """Write the bytecode of every flowctl module, as pip does when it installs a wheel."""
    compileall.compile_dir(PACKAGE, quiet=1)
    note = " (PYTHONDONTWRITEBYTECODE is set here)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    print(f"flowctl's bytecode compiled as pip does for an installed wheel{note}")
