"""Run the system's Graphviz ``dot`` to turn DOT text into SVG, PNG or PDF."""

from __future__ import annotations

import shutil
import subprocess

from flowctl.errors import ConfigError, FlowctlError

BINARY_FORMATS = ("svg", "png", "pdf")
TIMEOUT = 120.0
INSTALL_HINT = ("install Graphviz (`apt-get install graphviz`, `brew install graphviz`, "
                "`choco install graphviz`), or write text with `--format dot` or `--format mermaid`")


def find_dot() -> str:
    """The path of ``dot``, or a ConfigError saying how to install it."""
    path = shutil.which("dot")
    if path is None:
        raise ConfigError("Graphviz is not installed: `dot` was not found on PATH",
                          hint=INSTALL_HINT)
    return path


def run_dot(dot_text: str, fmt: str, *, timeout: float = TIMEOUT) -> bytes:
    """The output of ``dot -T<fmt>`` for ``dot_text``."""
    if fmt not in BINARY_FORMATS:
        raise ConfigError(f"dot cannot produce '{fmt}' here; choose one of {', '.join(BINARY_FORMATS)}")
    binary = find_dot()
    try:
        done = subprocess.run([binary, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as error:
        raise FlowctlError(f"Graphviz `dot` took longer than {timeout:g}s and was stopped") from error
    except OSError as error:
        raise ConfigError(f"Graphviz `dot` could not be run: {error}", hint=INSTALL_HINT) from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FlowctlError("Graphviz `dot` failed: " + (message[0] if message else
                                                        f"exit code {done.returncode}"))
    return done.stdout
