"""Output files (issue 10, item 9 and 11; repro 14-output-errors): every file a command
writes goes to a temporary file renamed into place, so a failure leaves the old file as it
was; an unwritable target is one located message and exit 2, never a traceback."""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli.app import app
from flowctl.errors import ConfigError
from flowctl.files import write_output

REPO = Path(__file__).resolve().parents[2]
OLD = "OLD VALID FILE\n"


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "flows", root)
    (root / "out").mkdir()
    monkeypatch.chdir(root)
    return root


# (command, the message expected on stderr); {dir} is a folder, /dev/full a full disk
CASES = [
    ("lint -o /dev/full", "cannot write /dev/full: No space left on device"),
    ("lint -o out", "cannot write out: it is a folder"),
    ("diff booking.flow.yaml feedback.flow.yaml -o /dev/full",
     "cannot write /dev/full: No space left on device"),
    ("diff booking.flow.yaml feedback.flow.yaml -o out", "cannot write out: it is a folder"),
    ("render booking.flow.yaml -o /dev/full --format dot",
     "cannot write /dev/full: No space left on device"),
    ("simulate booking.visitors.yaml --junit /dev/full",
     "cannot write /dev/full: No space left on device"),
    ("simulate booking.visitors.yaml --coverage-file out", "cannot write out: it is a folder"),
    ("render booking.flow.yaml -o booking.flow.yaml --format dot",
     "-o booking.flow.yaml is an input file"),
    ("render booking.flow.yaml -o ./booking.flow.yaml --format dot",
     "-o booking.flow.yaml is an input file"),
    ("init booking.flow.yaml", "project/booking.flow.yaml is a file"),
    ("lint -o booking.flow.yaml/x.txt", "cannot create the folder booking.flow.yaml: "
     "booking.flow.yaml is a file"),
]


@pytest.mark.parametrize(("command", "message"), CASES, ids=[c for c, _ in CASES])
def test_an_unwritable_output_is_a_message_and_exit_2(project: Path, command: str,
                                                      message: str) -> None:
    before = (project / "booking.flow.yaml").read_text()
    result = CliRunner().invoke(app, command.split())
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, OSError), result.exception
    assert result.stderr.startswith("flowctl: error: ")
    assert message in result.stderr
    assert (project / "booking.flow.yaml").read_text() == before


def test_an_empty_render_output_is_an_error(project: Path) -> None:
    result = CliRunner().invoke(app, ["render", "booking.flow.yaml", "-o", ""])
    assert result.exit_code == 2
    assert "flowctl: error: -o: the output path is empty" in result.stderr


def test_a_failed_write_leaves_the_old_file(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.txt"
    target.write_text(OLD)

    def full(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ConfigError, match="No space left on device"):
        write_output(target, "NEW" * 1000)
    assert target.read_text() == OLD
    assert os.listdir(tmp_path) == ["report.txt"]  # no temporary file left behind


def test_a_write_keeps_the_mode_and_writes_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text(OLD)
    target.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_output(link, "new\n")
    assert link.is_symlink()
    assert target.read_text() == "new\n"
    assert oct(target.stat().st_mode & 0o777) == oct(0o640)


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))


def test_a_disk_full_mid_write_leaves_the_old_file(project: Path) -> None:
    """``ulimit -f 8``: the real process, the real signal (SIGXFSZ, ignored by Python)."""
    (project / "big.flow.yaml").write_text(
        "flow: big\nstart: {on: chat_opened}\nblocks:\n"
        + "".join(f"  - {{id: b{i}, type: message, text: 'line {i} {'x' * 60}', next: b{i + 1}}}\n"
                  for i in range(200)) + "  - {id: b200, type: end}\n")
    command = ["render", "big.flow.yaml", "--format", "dot", "-o"]
    old = project / "out" / "old.txt"
    old.write_text(OLD)
    done = subprocess.run([sys.executable, "-m", "flowctl", *command, str(old)],
                          capture_output=True, text=True, preexec_fn=_limit_file_size,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "File too large" in done.stderr
    assert old.read_text() == OLD
    assert os.listdir(project / "out") == ["old.txt"]


def test_output_the_terminal_cannot_encode_is_a_message(project: Path) -> None:
    """``PYTHONIOENCODING=cp1252 flowctl simulate > out.txt``."""
    done = subprocess.run([sys.executable, "-m", "flowctl", "simulate", "booking.visitors.yaml"],
                          capture_output=True, timeout=60,
                          env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert "Traceback" not in stderr
    assert "flowctl: error: the output cannot be written in cp1252" in stderr
    assert "PYTHONIOENCODING=utf-8" in stderr


def test_a_full_standard_output_is_a_message(project: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "flowctl", "lint"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "flowctl: error: cannot write the output: No space left on device" in done.stderr
