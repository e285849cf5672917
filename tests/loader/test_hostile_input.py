"""Hostile input: each file gets a clear, located message, never a traceback, and stays
within the issue's bounds (under 1 s of CPU and 200 MB of memory for the whole run).

Each input runs in its own `flowctl lint --format json` process, so the bounds cover
start-up as a user sees it; CPU time (not wall time) keeps the check stable on a busy
machine.  bench/lint.py prints the same runs' wall times.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

BILLION_LAUGHS = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
) + "\n"


def _hostile() -> dict[str, tuple[bytes, str, int]]:
    """name → (content, expected code, expected line)."""
    return {
        "not-yaml": (b"flow: [unclosed\nblocks: {\n", "S001", 2),
        "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "S004", 3),
        "empty": (b"", "S003", 1),
        "huge": (b"# " + b"x" * 100 + b"\n" + (b"a: b\n" * (10 * 1024 * 1024 // 5)), "S005", 1),
        "deep-flow": (b"[" * 10_000 + b"]" * 10_000, "S001", 1),
        "deep-block": (b"- " * 10_000 + b"x\n", "S001", 1),
        "billion-laughs": (BILLION_LAUGHS.encode(), "S005", 0),
        "python-tag": (b"flow: demo\nblocks: !!python/object/apply:os.system ['echo pwned']\n",
                       "S004", 2),
        "duplicate-keys": (b"flow: demo\nflow: again\nblocks: []\n", "S002", 2),
        "invalid-utf8": (b"flow: demo\ntitle: caf\xe9\n", "S004", 2),
    }


CASES = _hostile()


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    content, code, line = CASES[name]
    target = tmp_path / f"{name}.flow.yaml"
    target.write_bytes(content)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        [sys.executable, "-m", "flowctl", "lint", str(target), "--format", "json"],
        capture_output=True, cwd=tmp_path, timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    assert proc.returncode == 1, (proc.returncode, stderr)
    report = json.loads(proc.stdout)
    codes = {(p["code"], p["line"]) for p in report["problems"]}
    assert any(c == code for c, _ in codes), report
    problem = next(p for p in report["problems"] if p["code"] == code)
    assert problem["file"].endswith(target.name)
    assert problem["line"] >= 1 and problem["column"] >= 1
    if line:
        assert problem["line"] == line, problem
    assert problem["message"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak_mb = after.ru_maxrss / 1024  # kilobytes on Linux
    assert cpu < 1.0, f"{name}: {cpu:.2f} s of CPU"
    assert peak_mb < 200, f"{name}: {peak_mb:.0f} MB peak"
