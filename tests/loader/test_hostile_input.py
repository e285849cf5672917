"""Hostile input: each file gets a clear, located message, never a traceback, and stays
within the issue's bounds (under 1 s of CPU and 200 MB of memory for the whole run; the
template bombs, which need a whole `flowctl simulate`, under 2 s).

Each input runs in its own `flowctl lint --format json` process, so the bounds cover
start-up as a user sees it; CPU time (not wall time) keeps the check stable on a busy
machine.  bench/lint.py prints the same runs' wall times.

Both bounds are that one process's own.  CPU time comes from os.wait4() for its pid.  Its
peak memory cannot come from any rusage: Linux carries the parent's peak RSS over the
fork and exec into the child's ru_maxrss (and into RUSAGE_CHILDREN), so under a large
pytest every child would look as large as pytest.  The child therefore reports its own
VmHWM (the peak RSS of its own address space, which exec starts afresh) when it exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import NamedTuple

import pytest

BILLION_LAUGHS = "\n".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 10)]
) + "\n"

# Aliases of a 100,000-character string, ten at each level: 100 KB of YAML, 1 GB expanded.
STRING_BOMB = "\n".join(
    ["flow: m", "x:", f'  s0: &s0 "{"x" * 100_000}"']
    + [f"  s{i}: &s{i} [{','.join([f'*s{i - 1}'] * 10)}]" for i in range(1, 5)]
    + ["blocks: []"]
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
        "string-bomb": (STRING_BOMB.encode(), "S005", 5),
        "python-tag": (b"flow: demo\nblocks: !!python/object/apply:os.system ['echo pwned']\n",
                       "S004", 2),
        "duplicate-keys": (b"flow: demo\nflow: again\nblocks: []\n", "S002", 2),
        "invalid-utf8": (b"flow: demo\ntitle: caf\xe9\n", "S004", 2),
    }


CASES = _hostile()

# `python -m flowctl`, plus an exit hook that writes the process's peak RSS (kB) to a file.
RUN_FLOWCTL = """
import atexit, os, runpy, sys

def report_peak(path=os.environ.pop("FLOWCTL_TEST_PEAK_FILE")):
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:  # no /proc (macOS): ru_maxrss, in bytes there
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    with open(path, "w", encoding="ascii") as out:
        out.write(str(peak))

atexit.register(report_peak)
runpy.run_module("flowctl", run_name="__main__", alter_sys=True)
"""


class Run(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: str
    cpu: float  # seconds of CPU, user and system, of this process alone
    peak_mb: float  # its peak resident memory


def run_flowctl(args: list[str], cwd: Path, timeout: float = 60) -> Run:
    """Run `python -m flowctl ARGS` and measure that one process."""
    out, err, peak = cwd / ".stdout", cwd / ".stderr", cwd / ".peak"
    env = {**os.environ, "NO_COLOR": "1", "FLOWCTL_TEST_PEAK_FILE": str(peak)}
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        proc = subprocess.Popen([sys.executable, "-c", RUN_FLOWCTL, *args], cwd=cwd, env=env,
                                stdout=stdout, stderr=stderr)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _pid, status, usage = os.wait4(proc.pid, 0)  # reaps it: its own rusage, no one else's
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert not timed_out.is_set(), f"flowctl {' '.join(args)} ran for more than {timeout} s"
    stderr_text = err.read_text(encoding="utf-8", errors="replace")
    assert peak.exists(), f"the child reported no peak memory:\n{stderr_text}"
    return Run(proc.returncode, out.read_bytes(), stderr_text,
               usage.ru_utime + usage.ru_stime, int(peak.read_text()) / 1024)


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    content, code, line = CASES[name]
    target = tmp_path / f"{name}.flow.yaml"
    target.write_bytes(content)
    proc = run_flowctl(["lint", str(target), "--format", "json"], tmp_path)
    stderr = proc.stderr
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
    assert proc.cpu < 1.0, f"{name}: {proc.cpu:.2f} s of CPU"
    assert proc.peak_mb < 200, f"{name}: {proc.peak_mb:.0f} MB peak"


def test_memory_is_measured_per_process(tmp_path: Path) -> None:
    """A child does not inherit the test run's peak memory, as ru_maxrss would make it."""
    ballast = bytearray(160 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))  # make every page resident
    try:
        run = run_flowctl(["--version"], tmp_path)
    finally:
        del ballast
    assert run.returncode == 0, run.stderr
    assert run.peak_mb < 100, f"`flowctl --version` peaked at {run.peak_mb:.0f} MB"


#: Templates that would take gigabytes or minutes (issue 10, repros 06, 06b, 06c):
#: name → (the message's text, what the located failure says).
TEMPLATE_BOMBS = {
    "center": ("{{ 'a'|center(500000000) }}", "center() would be 500,000,000 characters"),
    "join": ("{{ (('x'*10000)|list)|join('y'*100000) }}", "join() would be"),
    "loops": ("{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}",
              "more than 100,000 loop items and calls"),
    "percent": ("{{ '%500000000d' % 1 }}", "a width of 500,000,000 in a % format"),
    "format": ("{{ '{:>500000000}'.format(1) }}", "a width in format spec"),
    "indent": ("{{ 'a'|indent(500000000) }}", "indent() would be"),
    "str-method": ("{{ 'a'.ljust(500000000) }}", "str.ljust() would be"),
    "doubling": ("{% macro d(s, n) %}{{ d(s ~ s, n - 1) if n else s }}{% endmacro %}"
                 "{{ d('x', 40) }}", "the text joined with ~ would be"),
    "lazy-join": ("{{ range(10000)|map('center', 100000)|join }}", "the items read would be"),
    "calls": ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
              "{{ f(50) }}", "more than 100,000 loop items and calls"),
}


@pytest.mark.parametrize("name", sorted(TEMPLATE_BOMBS))
def test_template_bomb(name: str, tmp_path: Path) -> None:
    """`flowctl simulate` stops the template at a bound: a located failure, not gigabytes."""
    template, message = TEMPLATE_BOMBS[name]
    (tmp_path / "flowctl.yaml").write_text("project: m\ntimezone: Europe/Berlin\n")
    (tmp_path / "m.flow.yaml").write_text(
        "flow: m\nstart: {on: chat_opened}\nblocks:\n"
        f"  - {{id: a, type: message, text: {json.dumps(template)}}}\n"
        "  - {id: e, type: end}\n")
    (tmp_path / "m.visitors.yaml").write_text(
        "flow: m\nvisitors:\n  - name: v\n    steps: [{bot: '*'}]\n")
    proc = run_flowctl(["simulate"], tmp_path)
    out = proc.stdout.decode()
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, out, proc.stderr)
    assert "m.flow.yaml:4:" in out and message in out, out
    assert proc.cpu < 2.0, f"{name}: {proc.cpu:.2f} s of CPU"
    assert proc.peak_mb < 200, f"{name}: {proc.peak_mb:.0f} MB peak"
