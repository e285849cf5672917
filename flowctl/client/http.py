"""``RuntimeClient``: the admin routes of the runtime API v1 (/work/shared/spec/runtime-api.md,
"Publishing") over httpx.

The client is asynchronous (``httpx.AsyncClient``) so that the same code runs against a real
server over the network and against the app itself through ``httpx.ASGITransport`` (which
is async only): the CLI runs it with ``asyncio.run``.  ``transport`` replaces the network
from Python only; no flag or variable reaches it.

Every failure is a :class:`ClientError` with a sentence for people; the token is sent in the
``Authorization`` header and appears in no message.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from flowctl import __version__
from flowctl.client.errors import ClientError, LintProblem
from flowctl.client.records import (
    ProjectStatus,
    PublishPlan,
    PublishResult,
    Revisions,
    RollbackResult,
)
from flowctl.client.targets import is_loopback

#: Seconds to wait for an answer (publishing lints the bundle on the server) and to connect.
TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0


class RuntimeClient:
    """An async client of one runtime (``base_url``) with the admin ``token``.

    Use it as ``async with RuntimeClient(url, token) as client: ...``, or call
    :meth:`aclose`.
    """

    def __init__(self, base_url: str, token: str | None,
                 transport: httpx.AsyncBaseTransport | None = None, *,
                 timeout: float = TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._has_token = bool(token)
        headers = {"Accept": "application/json", "User-Agent": f"flowctl/{__version__}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # A loopback target is never reached through a proxy of the environment.
        self._http = httpx.AsyncClient(
            base_url=self.base_url, headers=headers, transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
            follow_redirects=False, trust_env=not is_loopback(self.base_url))

    async def __aenter__(self) -> RuntimeClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the routes --------------------------------------------------------------------------

    async def plan(self, project: str, files: Mapping[str, str], *, message: str = "",
                   source: Mapping[str, Any] | None = None) -> PublishPlan:
        """What publishing ``files`` would do (``?dry_run=true``: nothing is stored)."""
        _, data = await self._request("POST", self._project(project) + "/revisions",
                                      json=self._bundle(files, message, source),
                                      params={"dry_run": "true"})
        return PublishPlan.from_json(data)

    async def publish(self, project: str, files: Mapping[str, str], *, message: str = "",
                      source: Mapping[str, Any] | None = None) -> PublishResult:
        """Publish ``files`` as a new active revision (nothing when it is the active one)."""
        status, data = await self._request("POST", self._project(project) + "/revisions",
                                           json=self._bundle(files, message, source))
        return PublishResult.from_json(data, status)

    async def project(self, project: str) -> ProjectStatus:
        """The deployed revision; a :class:`ClientError` with status 404 when none is."""
        _, data = await self._request("GET", self._project(project))
        return ProjectStatus.from_json(data)

    async def revisions(self, project: str) -> Revisions:
        _, data = await self._request("GET", self._project(project) + "/revisions")
        return Revisions.from_json(data)

    async def rollback(self, project: str, to: int) -> RollbackResult:
        """Make revision ``to`` active again; a :class:`ClientError` with status 409 when the
        project has no such revision."""
        _, data = await self._request("POST", self._project(project) + "/rollback",
                                      json={"to": to})
        return RollbackResult.from_json(data)

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _project(project: str) -> str:
        return "/v1/projects/" + quote(project, safe="")

    @staticmethod
    def _bundle(files: Mapping[str, str], message: str,
                source: Mapping[str, Any] | None) -> dict[str, Any]:
        return {"files": dict(files), "message": message, "source": dict(source or {})}

    async def _request(self, method: str, path: str, *, json: Any = None,
                       params: Mapping[str, str] | None = None) -> tuple[int, Any]:
        try:
            response = await self._http.request(method, path, json=json, params=params)
        except httpx.TimeoutException:
            raise ClientError(f"{self.base_url} did not answer within {self.timeout:g} s",
                              hint="is the runtime overloaded, or the URL wrong?",
                              code="timeout") from None
        except httpx.TransportError as error:
            reason = str(error) or type(error).__name__
            raise ClientError(f"cannot reach {self.base_url}: {reason}",
                              hint="is `flowctl serve` running there? Check the target's url "
                              "(--target NAME or URL)", code="unreachable") from None
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if 200 <= response.status_code < 300:
            if not isinstance(data, dict):
                raise ClientError(f"{self.base_url} answered {response.status_code} without a "
                                  "JSON object", hint="is the target a flowctl runtime?",
                                  status=response.status_code, code="bad_answer")
            return response.status_code, data
        raise self._error(response.status_code, data, method, path)

    def _error(self, status: int, data: Any, method: str, path: str) -> ClientError:
        found = data.get("error") if isinstance(data, dict) else None
        body: dict[str, Any] = found if isinstance(found, dict) else {}
        code = str(body.get("code") or "") or None
        said = str(body.get("message") or "").strip()
        if status == 401:
            if not self._has_token:
                return ClientError(f"{self.base_url} needs the admin token (401), and none was "
                                   "given", status=401, code=code,
                                   hint="set FLOWCTL_TOKEN to the runtime's admin token")
            return ClientError(f"{self.base_url} refused the token (401 unauthorized): it is not "
                               "the runtime's admin token", status=401, code=code,
                               hint="check FLOWCTL_TOKEN (or the target's token in flowctl.yaml) "
                               "against the server's FLOWCTL_ADMIN_TOKEN")
        if status == 422 and code == "lint_failed":
            lint = body["lint"] if isinstance(body.get("lint"), dict) else {}
            problems = [LintProblem.from_json(p) for p in lint.get("problems", [])
                        if isinstance(p, dict)]
            errors = sum(1 for p in problems if p.severity == "error")
            return ClientError(f"the runtime's lint refused the bundle ({errors} error"
                               f"{'' if errors == 1 else 's'}): nothing was published",
                               status=422, code=code, problems=problems,
                               hint="`flowctl lint` shows the same problems (a server of "
                               "another flowctl version may check more)")
        if status == 404 and (code is None or said == "no such route"):
            return ClientError(f"{self.base_url} has no {method} {path} (404)", status=404,
                               code=code or "not_found",
                               hint="is the target a flowctl runtime? Its URL is the server's "
                               "root, e.g. http://127.0.0.1:8787")
        if not said:
            said = "no error message" if data is None else "an answer without an error message"
        return ClientError(f"{self.base_url} answered {status}: {said}", status=status,
                           code=code or f"http_{status}")
