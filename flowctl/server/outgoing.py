"""One attempt of an engine ``Call`` through the egress guard: :func:`send`.

``call.timeout`` is the deadline of the whole attempt (redirects and body included); the
request carries ``Idempotency-Key: <call.key>``; nothing raises for a network or HTTP
problem: ``Response.error`` is ``egress_refused``, ``timeout``, ``connection``,
``secret_missing``, ``response_too_large``, ``too_many_redirects``, ``invalid_url`` or
``invalid_response`` (``status`` 0; ``json`` ``{"error": {"code", "message"}}``).  A body is
JSON when it parses, else text, at most :data:`~flowctl.server.egress.MAX_BODY` bytes.  Only
the ``${NAME}``s the endpoint's definition references are resolved; resolved secrets are
redacted from messages and bodies, and headers holding one are dropped on a redirect to
another origin.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx

from flowctl.engine.calls import Call, Response
from flowctl.server.egress import (
    MAX_BODY,
    MAX_REDIRECTS,
    EgressPolicy,
    EgressRefused,
    GuardedClient,
    literal,
)
from flowctl.server.secrets import SecretMissing, redact, redact_value, references, resolve


class _Failed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    try:
        seconds = float(value)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    return round(max(0.0, when.timestamp() - (time.time() if now is None else now)), 3)


def _query(query: Mapping[str, Any]) -> dict[str, Any]:
    def scalar(v: Any) -> Any:
        return v if v is None or isinstance(v, str | int | float) else json.dumps(v)
    return {k: [scalar(x) for x in v] if isinstance(v, list) else scalar(v) for k, v in query.items()}


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _bad_url(policy: EgressPolicy, url: str, error: Exception) -> _Failed:
    """A URL httpx cannot parse: refused when its host is a refused address in a spelling
    httpx rejects but the OS accepts (``0251.0376.0251.0376``)."""
    try:
        parts = urlsplit(url)
        address, port = literal(parts.hostname or ""), parts.port or 80
        why = policy.refusal(address, parts.hostname or "", port) if address else None
    except ValueError:
        why = None
    return _Failed("egress_refused", why) if why else _Failed("invalid_url", f"invalid URL: {error}")


async def _read(response: httpx.Response) -> Any:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _Failed("response_too_large", f"response of {declared} bytes (limit {MAX_BODY})")
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_BODY:
            raise _Failed("response_too_large", f"response over {MAX_BODY} bytes")
    if not body:
        return None
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        return bytes(body).decode(response.encoding or "utf-8", errors="replace")


async def _exchange(client: GuardedClient, call: Call, url: str, headers: dict[str, str],
                    secret_headers: set[str]) -> tuple[httpx.Response, Any]:
    try:
        request = client.build_request(call.method, url, params=_query(call.query) or None,
                                       headers=headers, json=call.body)
    except httpx.InvalidURL as error:
        raise _bad_url(client.policy, url, error) from error
    origin = _origin(request.url)
    for _hop in range(MAX_REDIRECTS + 1):
        response = await client.send(request, stream=True, follow_redirects=False)
        following = response.next_request
        try:
            if following is None:
                return response, await _read(response)
        finally:
            await response.aclose()
        request = following
        if _origin(request.url) != origin:  # secrets go to the endpoint's origin only
            for name in secret_headers:
                request.headers.pop(name, None)
    raise _Failed("too_many_redirects", f"more than {MAX_REDIRECTS} redirects")


async def send(client: httpx.AsyncClient, call: Call, *, env: Mapping[str, str]) -> Response:
    """One attempt of ``call`` through the guarded ``client``; every failure is a Response."""
    if not isinstance(client, GuardedClient):
        raise TypeError("send() takes a guarded_client(): every outgoing request passes the guard")
    used: set[str] = set()
    try:
        allowed = set(call.secrets)  # the endpoint definition's own ${NAME}s, no others
        url = resolve(call.url, env, used, allowed)
        headers = {name: resolve(value, env, used, allowed) for name, value in call.headers.items()}
        secret_headers = {name for name, value in call.headers.items()
                          if allowed & set(references(value))}
        headers = {k: v for k, v in headers.items() if k.lower() != "idempotency-key"}
        headers["Idempotency-Key"] = call.key
        with anyio.fail_after(call.timeout):
            response, body = await _exchange(client, call, url, headers, secret_headers)
        return Response(status=response.status_code, json=redact_value(body, used),
                        retry_after=retry_after(response.headers.get("retry-after")))
    except SecretMissing as error:
        code, message = "secret_missing", str(error)
    except _Failed as error:
        code, message = error.code, str(error)
    except EgressRefused as error:
        code, message = "egress_refused", str(error)
    except (TimeoutError, httpx.TimeoutException):
        code, message = "timeout", f"no complete answer within {call.timeout:g} s"
    except httpx.DecodingError as error:
        code, message = "invalid_response", f"undecodable response: {error}"
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        code, message = "connection", f"{type(error).__name__}: {error}"
    message = redact(f"{call.method} {redact(call.url, used)}: {message}", used)
    return Response(status=0, error=code, json={"error": {"code": code, "message": message}})
