"""The egress guard and send(): what is refused is refused before a packet leaves.

Every test runs with a spy on httpcore's AnyIO backend (the one the guard wraps): it records
each connection the guard lets through and BLOCKS any to an address other than 127.0.0.1,
so a broken guard fails a test instead of reaching the network.  Names are looked up by an
injected resolver (no DNS), except ``localhost``.  The only traffic is to stub HTTP servers
on 127.0.0.1 with ephemeral ports.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpcore
import httpx
import pytest

from flowctl.engine.calls import Call, Response
from flowctl.server.egress import MAX_BODY, EgressPolicy, guarded_client, literal
from flowctl.server.outgoing import retry_after, send
from flowctl.server.secrets import SecretMissing, redact, references, resolve

SECRET = "s3cr3t/Value+42"
META = "/latest/meta-data/"


class Stub:
    """An HTTP server on 127.0.0.1 that records requests and answers by path."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                stub.requests.append({"method": self.command, "path": parts.path,
                                      "query": parse_qs(parts.query), "body": body,
                                      "headers": dict(self.headers.items())})
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    stub.route(self, parts.path, parse_qs(parts.query))

            do_GET = do_POST = do_PUT = answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", length: bool = True,
              **headers: str) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        if length:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def route(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        json_type = {"Content_Type": "application/json"}
        if path == "/json":
            self.reply(h, 200, json.dumps({"ok": True, "path": path}).encode(), **json_type)
        elif path == "/echo":
            seen = {"api_key": h.headers.get("X-Api-Key")}
            self.reply(h, 200, json.dumps(seen).encode(), **json_type)
        elif path == "/busy":
            self.reply(h, 503, b'{"busy": true}', Retry_After="7", **json_type)
        elif path == "/later":
            self.reply(h, 429, b"slow down", Retry_After=formatdate(time.time() + 120, usegmt=True))
        elif path == "/text":
            self.reply(h, 200, "héllo".encode(), Content_Type="text/plain; charset=utf-8")
        elif path == "/big":
            self.reply(h, 200, b"x" * (MAX_BODY + 1))
        elif path == "/big-stream":  # no Content-Length: the body ends when the server closes
            self.reply(h, 200, b"x" * (MAX_BODY + 1), length=False)
        elif path == "/slow":
            time.sleep(1.5)
            self.reply(h, 200, b"{}")
        elif path == "/loop":
            self.reply(h, 302, Location="/loop")
        elif path == "/to":
            self.reply(h, 302, Location=query["url"][0])
        else:
            self.reply(h, 404)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.close()


@pytest.fixture
def other() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(address, port) of every connection the guard passed to the real backend."""
    seen: list[tuple[str, int]] = []
    original = httpcore.AnyIOBackend.connect_tcp

    async def spy(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        seen.append((host, port))
        if host != "127.0.0.1":
            raise AssertionError(f"the guard let a connection to {host} port {port} through")
        return await original(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return seen


class FakeDNS:
    """An injected resolver: a table of names; any other name fails (never real DNS)."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table, self.asked = table or {}, []  # type: ignore[var-annotated]

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, f"unknown name {host}")
        return self.table[host]


def dead_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def attempt(url: str, *, allow: tuple[str, ...] = (), dns: Any = None,
                  env: dict[str, str] | None = None, **call: Any) -> Response:
    client = guarded_client(EgressPolicy.parse(allow), FakeDNS() if dns is None else dns)
    # as the engine does: the ${NAME}s written in the endpoint's definition may be resolved
    written = [url, *call.get("headers", {}).values()]
    call.setdefault("secrets", tuple(sorted({n for text in written for n in references(text)})))
    async with client:
        return await send(client, Call(key="conv-1:crm:1", endpoint="crm", method=call.pop("method", "GET"),
                                       url=url, **call), env=env or {})


def message(response: Response) -> str:
    return str(response.json["error"]["message"])


# -- the address table -----------------------------------------------------------------------

SPELLINGS = [  # host as written in a URL -> refused without an --allow-egress entry
    ("127.0.0.1", True), ("127.1", True), ("0x7f.1", True), ("0177.0.0.1", True),
    ("[::1]", True), ("[::ffff:127.0.0.1]", True), ("[::ffff:7f00:1]", True),
    ("[0:0:0:0:0:ffff:127.0.0.1]", True), ("[::127.0.0.1]", True),
    ("169.254.169.254", True), ("0xA9FEA9FE", True), ("0xa9.0xfe.0xa9.0xfe", True),
    ("2852039166", True), ("0251.0376.0251.0376", True), ("169.254.169.254.", True),
    ("[::ffff:a9fe:a9fe]", True), ("[64:ff9b::a9fe:a9fe]", True), ("[2002:a9fe:a9fe::1]", True),
    ("[::ffff:0:a9fe:a9fe]", True), ("100.100.100.200", True), ("[fd00:ec2::254]", True),
    ("10.0.0.1", True), ("172.16.0.1", True), ("172.31.255.255", True), ("192.168.1.1", True),
    ("[fc00::1]", True), ("[fd12:3456::1]", True), ("169.254.1.1", True), ("[fe80::1]", True),
    ("[fe80::1%25eth0]", True), ("100.64.0.1", True), ("100.127.255.254", True),
    ("224.0.0.1", True), ("[ff02::1]", True), ("255.255.255.255", True), ("240.0.0.1", True),
    ("0.0.0.0", True), ("0", True), ("[::]", True), ("198.18.0.1", True), ("198.19.255.1", True),
    ("192.0.2.1", True), ("198.51.100.7", True), ("203.0.113.9", True), ("[2001:db8::1]", True),
    ("[2001::1]", True), ("[64:ff9b:1::1]", True), ("192.0.0.8", True),
    # public addresses, and IPv6 spellings of them, are not the guard's business
    ("8.8.8.8", False), ("1.1.1.1", False), ("100.128.0.1", False), ("172.32.0.1", False),
    ("[::ffff:8.8.8.8]", False), ("[64:ff9b::808:808]", False), ("[2606:4700::1111]", False),
    ("[2002:808:808::1]", False),
]


@pytest.mark.parametrize(("host", "refused"), SPELLINGS)
def test_spellings_are_decided_by_the_address_they_spell(host: str, refused: bool) -> None:
    address = literal(host)
    assert address is not None, f"{host} is an address, not a name"
    assert (EgressPolicy().refusal(address, host, 80) is not None) is refused


@pytest.mark.parametrize("host", ["crm.example.com", "localhost", "0x7g.1", "1.2.3.4.5", "", "[::1"])
def test_names_are_not_literals(host: str) -> None:
    assert literal(host) is None


ENTRIES = [  # --allow-egress entry -> (host key, port)
    ("127.0.0.1:8999", ("127.0.0.1", 8999)), ("crm.internal", ("crm.internal", None)),
    ("CRM.Internal.:443", ("crm.internal", 443)), ("[::1]:8080", ("::1", 8080)),
    ("::1", ("::1", None)), ("0x7f.1:80", ("127.0.0.1", 80)), (" 10.0.0.5 ", ("10.0.0.5", None)),
]


@pytest.mark.parametrize(("entry", "parsed"), ENTRIES)
def test_allow_entries(entry: str, parsed: tuple[str, int | None]) -> None:
    assert EgressPolicy.parse([entry]).allow == {parsed}


@pytest.mark.parametrize("entry", ["", "host:", "host:0", "host:65536", "host:http", "http://crm",
                                   "crm/x", "[::1", "[crm]:80", "[1.2.3.4]", "a:b:c", "*.internal",
                                   "user@crm", "two words"])
def test_malformed_entries_are_a_clear_error(entry: str) -> None:
    with pytest.raises(ValueError, match=r"--allow-egress .*expected HOST\[:PORT\]"):
        EgressPolicy.parse(["crm.internal", entry])


def test_allow_list_admits_address_name_and_port() -> None:
    policy = EgressPolicy.parse(["127.0.0.1:8999", "crm.internal", "169.254.169.254:80"])
    assert policy.refusal("127.0.0.1", "127.0.0.1", 8999) is None
    assert policy.refusal("::ffff:127.0.0.1", "::ffff:127.0.0.1", 8999) is None  # same address
    assert policy.refusal("127.0.0.1", "127.0.0.1", 9000) is not None  # another port
    assert policy.refusal("10.1.2.3", "crm.internal", 443) is None  # what the name resolves to
    assert policy.refusal("10.1.2.3", "other.internal", 443) is not None
    assert policy.refusal("169.254.169.254", "169.254.169.254", 80) is None  # named itself
    named = EgressPolicy.parse(["evil.internal"])  # metadata never rides on a name
    assert "metadata" in str(named.refusal("169.254.169.254", "evil.internal", 80))


# -- refused before any connection -----------------------------------------------------------

REFUSED_URLS = [  # (url, names the injected resolver knows)
    ("http://127.0.0.1:{port}/json", {}),
    ("http://[::ffff:127.0.0.1]:{port}/json", {}),
    ("http://169.254.169.254" + META, {}),
    ("http://0xA9FEA9FE" + META, {}),
    ("http://2852039166" + META, {}),
    ("http://0251.0376.0251.0376" + META, {}),
    ("http://169.254.169.254." + META, {}),
    ("http://[::ffff:a9fe:a9fe]" + META, {}),
    ("http://[fd00:ec2::254]" + META, {}),
    ("http://100.100.100.200" + META, {}),
    ("http://10.0.0.1/", {}),
    ("http://127.1:{port}/json", {}),
    ("http://[::1]:{port}/json", {}),
    ("http://0.0.0.0:{port}/json", {}),
    ("https://192.168.0.10/", {}),
    ("http://crm.example.test/", {"crm.example.test": ["10.20.30.40"]}),
    ("http://rebind.example.test:{port}/json", {"rebind.example.test": ["127.0.0.1"]}),
    ("http://mixed.example.test/", {"mixed.example.test": ["93.184.216.34", "10.0.0.7"]}),
    ("http://v6.example.test/", {"v6.example.test": ["::ffff:169.254.169.254"]}),
    ("http://localhost:{port}/json", None),  # the real resolver: /etc/hosts, loopback
    ("ftp://127.0.0.1:{port}/json", {}),
]


@pytest.mark.anyio
@pytest.mark.parametrize(("url", "names"), REFUSED_URLS)
async def test_refused_before_a_packet_is_sent(url: str, names: dict[str, list[str]] | None,
                                               stub: Stub, connections: list[Any]) -> None:
    dns = FakeDNS(names) if names is not None else None
    client = guarded_client(EgressPolicy(), dns)
    async with client:
        response = await send(client, Call(key="k", endpoint="e", method="GET",
                                           url=url.format(port=stub.port)), env={})
    assert (response.status, response.error) == (0, "egress_refused")
    assert "refused" in message(response)
    assert connections == [] and stub.requests == []
    if dns is not None and not names:
        assert dns.asked == []  # a literal is parsed as the OS parses it, never looked up


@pytest.mark.anyio
async def test_port_not_allow_listed_for_the_host(stub: Stub, other: Stub, connections: list[Any]) -> None:
    response = await attempt(f"{other.url}/json", allow=(f"127.0.0.1:{stub.port}",))
    assert response.error == "egress_refused"
    assert f"port {other.port}" in message(response)
    assert connections == [] and other.requests == []


@pytest.mark.anyio
async def test_redirect_to_metadata_is_refused_on_the_second_hop(stub: Stub, connections: list[Any]) -> None:
    target = "http://169.254.169.254" + META
    response = await attempt(f"{stub.url}/to?url={target}", allow=(f"127.0.0.1:{stub.port}",))
    assert (response.status, response.error) == (0, "egress_refused")
    assert "169.254.169.254" in message(response) and "metadata" in message(response)
    assert [r["path"] for r in stub.requests] == ["/to"]  # the first hop went through
    assert connections == [("127.0.0.1", stub.port)]  # and nothing else connected


@pytest.mark.anyio
@pytest.mark.parametrize(("target", "error"), [
    ("file:///etc/passwd", "egress_refused"),
    ("gopher://127.0.0.1:{port}/", "egress_refused"),
    ("http://0xA9FEA9FE/", "egress_refused"),
    ("http://[::ffff:127.0.0.1]:{dead}/json", "egress_refused"),  # the allowed address, spelt
    ("http://127.0.0.1:{dead}/json", "egress_refused"),  # in IPv6 or not, on another port
])
async def test_redirect_hops_are_checked(target: str, error: str, stub: Stub,
                                         connections: list[Any]) -> None:
    target = target.format(port=stub.port, dead=dead_port())
    response = await attempt(f"{stub.url}/to?url={target}", allow=(f"127.0.0.1:{stub.port}",))
    assert response.error == error
    assert set(connections) == {("127.0.0.1", stub.port)}


@pytest.mark.anyio
async def test_an_allowed_address_in_its_ipv6_spelling_connects_over_ipv4(
        stub: Stub, connections: list[Any]) -> None:
    response = await attempt(f"http://[::ffff:127.0.0.1]:{stub.port}/json",
                             allow=(f"127.0.0.1:{stub.port}",))
    assert response.status == 200 and connections == [("127.0.0.1", stub.port)]


@pytest.mark.anyio
async def test_at_most_five_redirects(stub: Stub) -> None:
    response = await attempt(f"{stub.url}/loop", allow=(f"127.0.0.1:{stub.port}",))
    assert response.error == "too_many_redirects"
    assert len(stub.requests) == 6  # the request and five redirects


# -- what an allowed call gets ---------------------------------------------------------------

@pytest.mark.anyio
async def test_allowed_stub_returns_json_with_the_idempotency_key(stub: Stub) -> None:
    response = await attempt(f"{stub.url}/json", allow=(f"127.0.0.1:{stub.port}",), method="POST",
                             body={"email": "a@b.c"}, query={"q": "x", "n": 2},
                             headers={"X-Trace": "t1", "idempotency-key": "forged"})
    assert response == Response(status=200, json={"ok": True, "path": "/json"})
    [seen] = stub.requests
    assert seen["method"] == "POST" and json.loads(seen["body"]) == {"email": "a@b.c"}
    assert seen["query"] == {"q": ["x"], "n": ["2"]}
    assert seen["headers"]["Idempotency-Key"] == "conv-1:crm:1"
    assert seen["headers"]["X-Trace"] == "t1"


@pytest.mark.anyio
@pytest.mark.parametrize(("path", "status", "body", "wait"), [
    ("/busy", 503, {"busy": True}, (7.0, 7.0)),
    ("/later", 429, "slow down", (115.0, 121.0)),
    ("/text", 200, "héllo", None),
])
async def test_status_body_and_retry_after(path: str, status: int, body: Any,
                                           wait: tuple[float, float] | None, stub: Stub) -> None:
    response = await attempt(stub.url + path, allow=(f"127.0.0.1:{stub.port}",))
    assert (response.status, response.json, response.error) == (status, body, None)
    if wait is None:
        assert response.retry_after is None
    else:
        assert response.retry_after is not None and wait[0] <= response.retry_after <= wait[1]


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), ("0", 0.0), ("1.5", 1.5), ("-3", None), ("soon", None), ("inf", None),
    (None, None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_retry_after_header(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds
    assert retry_after("Thu, 01 Jan 1970 00:02:00 GMT", now=60.0) == 60.0


@pytest.mark.anyio
async def test_an_allowed_name_connects_to_the_checked_address_with_its_own_host(
        stub: Stub, connections: list[Any]) -> None:
    dns = FakeDNS({"crm.internal": ["127.0.0.1"]})
    response = await attempt(f"http://crm.internal:{stub.port}/json", dns=dns,
                             allow=(f"crm.internal:{stub.port}",))
    assert response.status == 200
    assert dns.asked == ["crm.internal"]  # looked up once
    assert connections == [("127.0.0.1", stub.port)]
    assert stub.requests[0]["headers"]["Host"] == f"crm.internal:{stub.port}"


@pytest.mark.anyio
async def test_tls_server_name_stays_the_original_name(stub: Stub, monkeypatch: pytest.MonkeyPatch,
                                                       connections: list[Any]) -> None:
    names: list[str | None] = []

    async def start_tls(self: Any, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> Any:
        names.append(server_hostname)
        raise httpcore.ConnectError("stopped after recording the server name")

    monkeypatch.setattr(httpcore._backends.anyio.AnyIOStream, "start_tls", start_tls)
    response = await attempt(f"https://crm.internal:{stub.port}/json",
                             dns=FakeDNS({"crm.internal": ["127.0.0.1"]}), allow=("crm.internal",))
    assert response.error == "connection"
    assert connections == [("127.0.0.1", stub.port)] and names == ["crm.internal"]


@pytest.mark.anyio
async def test_proxies_from_the_environment_are_not_used(stub: Stub, connections: list[Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://10.9.9.9:3128")
    response = await attempt(f"{stub.url}/json", allow=(f"127.0.0.1:{stub.port}",))
    assert response.status == 200 and connections == [("127.0.0.1", stub.port)]


# -- failures --------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_timeout_is_the_total_deadline(stub: Stub) -> None:
    started = time.monotonic()
    response = await attempt(f"{stub.url}/slow", allow=(f"127.0.0.1:{stub.port}",), timeout=0.3)
    assert (response.status, response.error) == (0, "timeout")
    assert time.monotonic() - started < 1.2
    assert response.retryable


@pytest.mark.anyio
async def test_connection_refused() -> None:
    port = dead_port()
    response = await attempt(f"http://127.0.0.1:{port}/json", allow=(f"127.0.0.1:{port}",))
    assert (response.status, response.error) == (0, "connection") and response.retryable


@pytest.mark.anyio
async def test_unknown_name_is_a_connection_error(connections: list[Any]) -> None:
    response = await attempt("http://nowhere.example.test/")
    assert response.error == "connection" and connections == []


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/big", "/big-stream"])
async def test_bodies_over_one_mebibyte_fail(path: str, stub: Stub) -> None:
    response = await attempt(stub.url + path, allow=(f"127.0.0.1:{stub.port}",))
    assert (response.status, response.error) == (0, "response_too_large")
    assert not response.retryable


@pytest.mark.anyio
async def test_send_takes_only_a_guarded_client() -> None:
    async with httpx.AsyncClient() as plain:
        with pytest.raises(TypeError, match="guarded_client"):
            await send(plain, Call(key="k", endpoint="e", method="GET", url="http://10.0.0.1/"), env={})


# -- secrets ---------------------------------------------------------------------------------

@pytest.mark.anyio
async def test_a_secret_is_sent_resolved_and_redacted_in_the_answer(stub: Stub) -> None:
    response = await attempt(f"{stub.url}/echo", allow=(f"127.0.0.1:{stub.port}",),
                             headers={"X-Api-Key": "${API_KEY}"}, env={"API_KEY": SECRET})
    assert stub.requests[0]["headers"]["X-Api-Key"] == SECRET
    assert response.json == {"api_key": "***"}


@pytest.mark.anyio
async def test_a_missing_secret_fails_without_sending(stub: Stub, connections: list[Any]) -> None:
    response = await attempt(f"{stub.url}/json", allow=(f"127.0.0.1:{stub.port}",),
                             headers={"Authorization": "Bearer ${CRM_TOKEN}"}, env={"OTHER": SECRET})
    assert (response.status, response.error) == (0, "secret_missing")
    assert "CRM_TOKEN" in message(response) and SECRET not in json.dumps(response.to_json())
    assert stub.requests == [] and connections == []


@pytest.mark.anyio
@pytest.mark.parametrize(("url", "error", "host_known"), [
    ("http://${CRM_HOST}/?key=${API_KEY}", "egress_refused", True),  # the name resolves to 10.x
    ("http://${CRM_HOST}/?key=${API_KEY}", "connection", False),  # unknown name
    ("{stub}/slow?key=${API_KEY}", "timeout", True),
    ("{stub}/big?key=${API_KEY}", "response_too_large", True),
    ("{stub}/to?url=http://${CRM_HOST}/&key=${API_KEY}", "egress_refused", True),
    ("http://127.0.0.1:{dead}/?key=${API_KEY}", "connection", True),
])
async def test_secrets_are_redacted_in_every_error(url: str, error: str, host_known: bool,
                                                   stub: Stub) -> None:
    dead = dead_port()
    env = {"API_KEY": SECRET, "CRM_HOST": "crm-secret-host.example.test"}
    dns = FakeDNS({env["CRM_HOST"]: ["10.1.2.3"]} if host_known else {})
    url = url.replace("{stub}", stub.url).replace("{dead}", str(dead))
    response = await attempt(url, dns=dns, timeout=0.5, env=env,
                             allow=(f"127.0.0.1:{stub.port}", f"127.0.0.1:{dead}"),
                             headers={"X-Api-Key": "${API_KEY}"})
    assert response.error == error
    text = json.dumps(response.to_json())
    assert SECRET not in text and quote(SECRET, safe="") not in text
    assert env["CRM_HOST"] not in text
    if "CRM_HOST" in url:
        assert "***" in message(response)  # the secret host name was in the error: redacted


@pytest.mark.anyio
async def test_secret_headers_stay_with_the_endpoints_origin(stub: Stub, other: Stub) -> None:
    allow = (f"127.0.0.1:{stub.port}", f"127.0.0.1:{other.port}")
    headers = {"X-Api-Key": "${API_KEY}", "X-Plain": "p"}
    await attempt(f"{stub.url}/to?url={other.url}/json", allow=allow, headers=headers,
                  env={"API_KEY": SECRET}, method="POST", body={"a": 1})
    moved = other.requests[0]["headers"]
    assert "X-Api-Key" not in moved and moved["X-Plain"] == "p"
    assert moved["Idempotency-Key"] == "conv-1:crm:1"
    await attempt(f"{stub.url}/to?url=/json", allow=allow, headers=headers, env={"API_KEY": SECRET})
    assert stub.requests[-1]["headers"]["X-Api-Key"] == SECRET  # same origin: kept


def test_resolve_and_redact() -> None:
    env = {"A": "alpha/beta gamma", "B": "${A}"}
    used: set[str] = set()
    assert resolve("x ${A} ${B} $A ${ not}", env, used) == "x alpha/beta gamma ${A} $A ${ not}"
    assert used == {"alpha/beta gamma", "${A}"}
    with pytest.raises(SecretMissing, match=r"\$\{MISSING\}") as missing:
        resolve("Bearer ${MISSING}", env)
    assert missing.value.name == "MISSING"
    text = "GET /?k=alpha%2Fbeta%20gamma and alpha%2Fbeta+gamma and alpha/beta%20gamma, alpha/beta gamma"
    assert redact(text, ["alpha/beta gamma"]) == "GET /?k=*** and *** and ***, ***"
    assert redact("nothing", ["", "x"]) == "nothing"
