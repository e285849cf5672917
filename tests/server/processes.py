"""Real ``flowctl serve`` processes for the tests: started on free ports of 127.0.0.1, waited
for on ``/readyz``, always stopped (``Servers.stop_all``; ``kill -9`` when a test asks for
it); a stub HTTP endpoint that records every request with its ``Idempotency-Key``; and the
tiny project the tests publish.

Every wait here is bounded in time, and every request goes to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from .conftest import ADMIN

#: Seconds a server gets to answer /readyz after it was started.
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One ``flowctl serve`` process (see :class:`Servers`, which starts and stops them)."""

    def __init__(self, db: str, data_dir: Path, log: Path, *, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.db, self.data_dir, self.log_path = db, data_dir, log
        self.args, self.env = args, dict(env or {})
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start on a free port and wait until /readyz answers 200 (a port taken meanwhile by
        someone else: try another, a bounded number of times)."""
        for _ in range(3):
            self.port = free_port()
            env = {**os.environ, "FLOWCTL_ADMIN_TOKEN": ADMIN, "FLOWCTL_LOG_LEVEL": "warning",
                   **self.env}
            env.pop("FLOWCTL_DB", None)
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [sys.executable, "-m", "flowctl", "serve", "--host", "127.0.0.1",
                     "--port", str(self.port), "--db", self.db, "--data-dir", str(self.data_dir),
                     *self.args], stdout=log, stderr=subprocess.STDOUT, env=env,
                    start_new_session=True)
            if self._ready():
                return self
            self.stop()
        raise AssertionError(f"flowctl serve did not become ready; its log:\n{self.log()}")

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/readyz", timeout=1.0).status_code == 200:
                    return True
            time.sleep(0.05)
        return False

    def kill9(self) -> None:
        """``kill -9``: no shutdown, no cleanup, whatever was in flight is cut."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class Servers:
    """Starts servers for one test and stops every one of them when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[Server] = []

    def start(self, db: str, *, args: tuple[str, ...] = (), env: dict[str, str] | None = None,
              name: str = "server") -> Server:
        server = Server(db, self.tmp_path / "data", self.tmp_path / f"{name}.log", args=args,
                        env=env)
        self.started.append(server)
        return server.start()

    def restart(self, server: Server) -> Server:
        server.stop()
        return server.start()

    def stop_all(self) -> None:
        for server in self.started:
            with contextlib.suppress(Exception):
                server.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {s.log_path.name} (port {s.port})\n{s.log()}" for s in self.started)


# -- a stub endpoint ------------------------------------------------------------------------------


class Endpoint:
    """An HTTP endpoint on 127.0.0.1 that records every request (time, ``Idempotency-Key``,
    body) and answers as ``script(key, attempt)`` says: ``(seconds to sleep, status)``."""

    def __init__(self, script: Callable[[str, int], tuple[float, int]]) -> None:
        self.requests: list[dict[str, Any]] = []
        self.in_flight = 0  # requests received and not answered yet
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                key = self.headers.get("Idempotency-Key") or ""
                with endpoint.lock:
                    attempt = 1 + sum(1 for r in endpoint.requests if r["key"] == key)
                    endpoint.requests.append({"key": key, "at": time.time(), "attempt": attempt,
                                              "body": json.loads(body or b"null")})
                    endpoint.in_flight += 1
                pause, status = script(key, attempt)
                time.sleep(pause)
                with endpoint.lock:
                    endpoint.in_flight -= 1
                answer = json.dumps({"id": f"{key}#{attempt}", "status": status}).encode()
                with contextlib.suppress(OSError):
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def keys(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            found: dict[str, list[dict[str, Any]]] = {}
            for request in self.requests:
                found.setdefault(request["key"], []).append(request)
            return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the projects the tests publish ---------------------------------------------------------------


def project_files(endpoint_port: int | None = None) -> dict[str, str]:
    """A tiny project: ``chatty`` (chat_opened) loops on a free-text question, counting and
    echoing each answer, so one conversation takes many messages; ``timed`` (page_view) asks
    with ``timeout: 1`` and says "Too slow." on timeout; ``caller`` (custom event ``call``)
    posts to the stub endpoint, waits for its answer and echoes it, asks, and posts what the
    visitor answered."""
    endpoints = ""
    if endpoint_port is not None:
        endpoints = textwrap.dedent(f"""\
            endpoints:
              hook:
                url: http://127.0.0.1:{endpoint_port}/hook
                method: POST
                timeout: 2
                retries: 4
            """)
    files = {
        "flowctl.yaml": ("project: proc\ntimezone: UTC\nlint:\n  rules: {X002: off, V003: off}\n"
                         + endpoints),
        "chatty.flow.yaml": textwrap.dedent("""\
            flow: chatty
            title: Talks for as long as the visitor does
            start:
              on: chat_opened
            blocks:
              - id: hello
                type: message
                text: Hi, talk to me.
              - id: zero
                type: set
                values: {n: 0}
              - id: ask
                type: question
                text: Say something.
                expect: text
                save: last
              - id: count
                type: set
                values:
                  n: "{{ n + 1 }}"
              - id: mark
                type: tag
                add: [talked]
              - id: echo
                type: message
                text: "#{{ n }} got {{ last }}"
              - id: more
                type: branch
                cases:
                  - when: last == 'bye'
                    next: done
                default: ask
              - id: done
                type: end
                outcome: completed
            """),
        "timed.flow.yaml": textwrap.dedent("""\
            flow: timed
            title: A question that times out
            start:
              on: page_view
            blocks:
              - id: quick
                type: question
                text: Quick, answer within a second.
                expect: text
                save: quick
                timeout: 1
                on_timeout: late
                next: answered
              - id: answered
                type: end
                outcome: answered
              - id: late
                type: message
                text: Too slow.
              - id: again
                type: question
                text: Still there?
                expect: text
                save: later
                next: finish
              - id: finish
                type: end
                outcome: timed_out
            """),
    }
    if endpoint_port is not None:
        files["caller.flow.yaml"] = textwrap.dedent("""\
            flow: caller
            title: Calls the endpoint and waits for its answer
            start:
              on: custom:call
            blocks:
              - id: push
                type: data_update
                endpoint: hook
                body: {visitor: "{{ event.data.who }}"}
                save: result
                on_error: failed
              - id: saved
                type: message
                text: "Saved as {{ result.id }}"
              - id: ask
                type: question
                text: Anything else?
                expect: text
                save: last
              - id: again
                type: data_update
                endpoint: hook
                body: {visitor: "{{ event.data.who }}", said: "{{ last }}"}
                save: second
                on_error: failed
              - id: done
                type: end
                outcome: completed
                text: "Saved again as {{ second.id }}"
              - id: failed
                type: end
                outcome: call_failed
                text: The call failed.
            """)
    return files
