"""The exceptions flowctl raises when nothing can continue.

Problems in user files are *collected* as :class:`flowctl.model.Problem` values; these
exceptions are for the cases where no further work is possible (no project found, an
unreadable path, a bad command-line option).  The CLI turns every one of them into a
message and exit code 2, never a traceback.
"""

from __future__ import annotations


class FlowctlError(Exception):
    """Base class: a message for the user, and an optional hint."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(FlowctlError):
    """The project or the command line is set up wrongly."""


class LoadError(FlowctlError):
    """A file could not be read at all."""


class SimulationError(FlowctlError):
    """A simulation could not run."""


class PublishError(FlowctlError):
    """Publishing to a runtime target failed."""


class StorageError(FlowctlError):
    """The runtime store failed."""
