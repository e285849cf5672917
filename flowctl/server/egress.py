"""The egress guard: the one way the server sends a request out, and what it refuses.

- Every outgoing request goes through a :func:`guarded_client`, whose connections are
  opened by :class:`GuardedBackend` (an httpcore network backend): the check runs at
  CONNECT time for every connection, the first hop, each redirect hop and whatever a later
  code path sends through the client.  (Typebot's SSRF advisories came from a second path
  that fetched around its URL check; at the connection there is no around.)
- A host is resolved once: an IP literal in any spelling the OS accepts (``0xA9FEA9FE``,
  ``2852039166``, ``0251.0376.0251.0376``, ``169.254.169.254.``, ``[::ffff:7f00:1]``) is
  parsed as the OS parses it, a name goes to the resolver.  EVERY address is checked and
  the connection refused when ANY is refused: an answer mixing public and internal
  addresses is the shape of DNS rebinding, and the outcome must not depend on which
  address answers first.  The socket connects to the checked addresses, never to the name
  again; the Host header and TLS SNI stay the name.
- Refused (:data:`REFUSED`, :func:`classify`): loopback, private, link-local, shared,
  multicast, broadcast, unspecified, reserved, benchmarking, documentation, transition and
  cloud-metadata addresses; an IPv6 spelling of an IPv4 address (mapped, compatible, SIIT,
  NAT64, 6to4) is decided by that IPv4 address.  ``--allow-egress HOST[:PORT]`` admits an
  address, or a name and what it resolves to, on one port or all; a metadata address only
  when named itself.  No environment proxies, no unix sockets, only http(s), at most
  :data:`MAX_REDIRECTS` redirects.
- :func:`flowctl.server.outgoing.send` makes one attempt of an engine ``Call`` through a
  guarded client (and refuses any other client).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import anyio
import httpcore
import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
#: Looks a host name up: ``await resolver(host, port)`` -> IP address strings.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

MAX_REDIRECTS = 5
MAX_BODY = 1024 * 1024  # bytes of (decoded) response body
SCHEMES = frozenset({"http", "https"})
METADATA = "cloud metadata service"

_RANGES = """
cloud metadata service: 169.254.169.254/32 100.100.100.200/32 fd00:ec2::254/128
the unspecified address: 0.0.0.0/32 ::/128
'this network' (reserved): 0.0.0.0/8
private (RFC 1918): 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16
shared address space: 100.64.0.0/10
loopback: 127.0.0.0/8 ::1/128
link-local: 169.254.0.0/16 fe80::/10
IETF protocol assignments: 192.0.0.0/24
documentation: 192.0.2.0/24 198.51.100.0/24 203.0.113.0/24 2001:db8::/32 3fff::/20
benchmarking: 198.18.0.0/15 2001:2::/48
6to4 relay anycast: 192.88.99.0/24
multicast: 224.0.0.0/4 ff00::/8
broadcast: 255.255.255.255/32
reserved: 240.0.0.0/4
local-use NAT64: 64:ff9b:1::/48
Teredo tunnelling: 2001::/32
discard-only: 100::/64
SRv6 segment identifiers: 5f00::/16
private (unique local): fc00::/7
site-local: fec0::/10
"""
#: (network, why) for every refused range, the most specific first.
REFUSED = sorted(((ipaddress.ip_network(net), why.strip()) for why, nets in
                  (line.split(":", 1) for line in _RANGES.strip().splitlines())
                  for net in nets.split()), key=lambda row: -row[0].prefixlen)


class EgressRefused(Exception):
    """The guard refused a connection (raised before any packet is sent to it)."""


def literal(host: str) -> IP | None:
    """The address ``host`` spells, parsed as the OS parses a numeric host (``inet_aton``
    forms, brackets, one trailing dot, an IPv6 zone); ``None`` for a name."""
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    text = unquote(text) if "%25" in text else text
    text = text[:-1] if text.endswith(".") else text
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(text, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        return ipaddress.ip_address(found[0][4][0]) if found else None
    except (OSError, UnicodeError, ValueError):
        return None


def embedded_ipv4(ip: IP) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address spells (mapped, SIIT, compatible, NAT64, 6to4)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    value, low = int(ip), ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None or value >> 32 in (0xFFFF_0000, 0x0064_FF9B << 64):
        return low
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return low
    return ip.sixtofour


def classify(ip: IP) -> str | None:
    """Why ``ip`` is not a public destination; ``None`` for a public address."""
    for network, reason in REFUSED:
        if ip.version == network.version and ip in network:
            return reason
    inner = embedded_ipv4(ip)
    if inner is not None:
        why = classify(inner)
        return None if why is None else f"{why} (an IPv6 spelling of {inner})"
    if ip.is_reserved or ip.is_multicast or not ip.is_global:
        return "not globally routable"
    return None


def _host_key(host: str) -> str:
    address = literal(host)
    return str(address) if address is not None else host.strip("[]").rstrip(".").lower()


_ENTRY = re.compile(r"\[(?P<v6>[^\]]+)\](?::(?P<p6>\d{1,5}))?|(?P<host>[^:\[\]]+)(?::(?P<port>\d{1,5}))?")


def _entry(text: str) -> tuple[str, int | None]:
    """``HOST[:PORT]`` -> (host key, port or ``None``); a bare IPv6 address has no port."""
    raw = text.strip()
    match = _ENTRY.fullmatch(raw) or (_ENTRY.fullmatch(f"[{raw}]") if raw.count(":") > 1 else None)
    host = match and (match["v6"] or match["host"])
    port = match and (match["p6"] or match["port"])
    key = _host_key(host) if host else ""
    v6 = bool(match and match["v6"])
    if (not key or v6 != isinstance(literal(f"[{host}]"), ipaddress.IPv6Address)
            or not (v6 or all(c.isalnum() or c in "-_." for c in key))
            or (port and not 0 < int(port) < 65536)):
        raise ValueError(f"--allow-egress {text!r}: expected HOST[:PORT], e.g. crm.internal, "
                         "127.0.0.1:8999 or [::1]:8080 (port 1-65535)")
    return key, int(port) if port else None


@dataclass(frozen=True)
class EgressPolicy:
    """What ``--allow-egress`` admits: (host or address, port or ``None`` for any)."""

    allow: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> EgressPolicy:
        """The policy of ``--allow-egress`` entries; ``ValueError`` names a malformed one."""
        return cls(frozenset(_entry(entry) for entry in entries))

    def allows(self, host: str, port: int) -> bool:
        key = _host_key(host)
        return (key, port) in self.allow or (key, None) in self.allow

    def refusal(self, ip: IP | str, host: str, port: int) -> str | None:
        """Why connecting to ``ip`` (resolved from ``host``) on ``port`` is refused, or
        ``None`` when allowed."""
        address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        why = classify(address)
        if why is None:
            return None
        mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
        if self.allows(str(address), port) or (mapped and self.allows(str(mapped), port)):
            return None
        if not why.startswith(METADATA) and self.allows(host, port):
            return None
        named = "" if _host_key(host) == str(address) else f" (resolved from {host})"
        return f"egress to {address} port {port}{named} refused: {why} (not in --allow-egress)"


async def system_resolver(host: str, port: int) -> list[str]:
    """The OS resolver (getaddrinfo, in a worker thread)."""
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in found]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """A network backend that resolves, checks, then connects to the checked addresses."""

    def __init__(self, policy: EgressPolicy, resolver: Resolver | None = None,
                 backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.resolver = resolver or system_resolver
        self.backend = backend or httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``, every one checked."""
        address = literal(host)
        if address is not None:
            found = [address]
        else:
            try:
                answers = await self.resolver(host, port)
            except (OSError, UnicodeError) as error:
                raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
            try:
                found = [ipaddress.ip_address(answer) for answer in answers]
            except ValueError as error:
                raise EgressRefused(f"{host} resolved to a non-address: {error}") from error
            if not found:
                raise httpcore.ConnectError(f"{host} has no address")
        for ip in found:
            why = self.policy.refusal(ip, host, port)
            if why is not None:
                raise EgressRefused(why)
        # An IPv4-mapped address is that IPv4 address: connect to it as such.
        return list(dict.fromkeys(str(getattr(ip, "ipv4_mapped", None) or ip) for ip in found))

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        try:
            with anyio.fail_after(timeout):
                for address in await self.addresses(host, port):
                    try:
                        return await self.backend.connect_tcp(address, port, timeout, local_address,
                                                              socket_options)
                    except httpcore.ConnectError as error:
                        failure = error
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(f"connecting to {host} port {port} timed out") from error
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise EgressRefused(f"egress to unix socket {path} refused")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool whose every connection is guarded."""

    def __init__(self, policy: EgressPolicy, resolver: Resolver | None = None,
                 backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        context = httpx.create_ssl_context(trust_env=False)
        super().__init__(verify=context, trust_env=False)
        self.backend = GuardedBackend(policy, resolver, backend)
        # Replaces the pool super() built: httpx takes no network backend of its own.
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=self.backend)


async def _refuse_other_schemes(request: httpx.Request) -> None:
    if request.url.scheme not in SCHEMES:
        raise EgressRefused(f"egress by {request.url.scheme!r} refused: only http and https")


class GuardedClient(httpx.AsyncClient):
    """An httpx client whose every request passes the egress guard (see the module)."""

    def __init__(self, policy: EgressPolicy, resolver: Resolver | None = None,
                 backend: httpcore.AsyncNetworkBackend | None = None) -> None:
        super().__init__(transport=GuardedTransport(policy, resolver, backend), trust_env=False,
                         follow_redirects=False, max_redirects=MAX_REDIRECTS,
                         event_hooks={"request": [_refuse_other_schemes]})
        self.policy = policy


def guarded_client(policy: EgressPolicy, resolver: Resolver | None = None) -> httpx.AsyncClient:
    """The client for outgoing requests: no environment proxies, every connection guarded."""
    return GuardedClient(policy, resolver)
