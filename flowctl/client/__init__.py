"""The client of the runtime API (``flowctl serve``): what ``flowctl publish``, ``status``,
``revisions`` and ``rollback`` run.

- :class:`RuntimeClient` (http.py): the admin routes over httpx, async so that the same code
  runs over the network and against the app through ``httpx.ASGITransport``; answers are
  typed records (records.py), failures one :class:`ClientError` (errors.py).
- :func:`resolve_target` (targets.py): ``--target`` NAME (flowctl.yaml ``targets``) or URL,
  and the admin token (the target's, ``FLOWCTL_TOKEN``, a local server's token file).
- gates.py: the lint and simulate gates of a publish; workflow.py: each command as one
  function returning a typed outcome; report.py: text and JSON output.

Importing this package imports httpx: the CLI imports it only inside its commands.
"""

from flowctl.client.errors import ClientError, LintProblem
from flowctl.client.http import RuntimeClient
from flowctl.client.records import (
    Changes,
    ProjectStatus,
    PublishPlan,
    PublishResult,
    RevisionInfo,
    Revisions,
    RollbackResult,
)
from flowctl.client.targets import DEFAULT_URL, Target, resolve_target

__all__ = [
    "DEFAULT_URL",
    "Changes",
    "ClientError",
    "LintProblem",
    "ProjectStatus",
    "PublishPlan",
    "PublishResult",
    "RevisionInfo",
    "Revisions",
    "RollbackResult",
    "RuntimeClient",
    "Target",
    "resolve_target",
]
