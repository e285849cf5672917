"""Server benchmarks (issue 9), on 127.0.0.1 only, every server and wrk run bounded in time.

1. Messages per second and p50/p99 latency at 50 concurrent virtual visitors against
   ``flowctl serve`` on SQLite (default durability: full): wrk -t2 -c50 with
   bench/server_messages.lua posting text messages, each with a unique Idempotency-Key, to
   200 conversations of a flow that loops on a free-text question (created through the API
   before wrk starts).  Next to it, in the same run and with the same wrk settings, a bare
   Starlette endpoint doing one SQLite INSERT per request (bench/bare_app.py: WAL,
   synchronous=FULL, the same uvicorn settings, one process).  Both servers run at once and
   are measured in turn, in 2 s wrk runs, so that load from elsewhere on the machine falls
   on both alike; each side's runs are summed (latencies from wrk's merged histograms, with
   wrk's correction for coordinated omission).  Target: ratio >= 0.5 and flowctl's p99
   under 50 ms.
2. The same on PostgreSQL (127.0.0.1:5432, a throwaway database dropped at the end): two
   ``flowctl serve`` processes on their own ports, wrk's two threads one on each, next to two
   bare processes inserting through a psycopg pool.
3. The server's RSS (/proc/PID/status VmRSS) with 10,000 and 100,000 stored conversations:
   rows cloned from a conversation the server started, written into its SQLite file through
   flowctl.server.storage's Tx API.  After each step wrk sends messages to 2,000 stored
   conversations the server has not seen yet, so that it reads them.  Target: flat (the
   100k figure <= 1.2 x the 10k figure).
Usage: python bench/server.py [--quick]   (--quick: 4 s per side, 2,000 and 20,000 conversations)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LUA = HERE / "server_messages.lua"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ADMIN = "bench-admin-" + secrets.token_hex(16)
THREADS = 2
CONNECTIONS = 50
CONVERSATIONS = 200  # 4 per connection, each thread walking its own half in turn
PROJECT = "bench"
FILES = {
    "flowctl.yaml": f"project: {PROJECT}\ntimezone: Europe/Berlin\n",
    "chat.flow.yaml": """\
flow: chat
start:
  on: chat_opened
blocks:
  - id: ask
    type: question
    text: "What else can I help with?"
    save: note
  - id: echo
    type: message
    text: "Noted: {{ note }}"
    next: ask
""",
}


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """One server process on 127.0.0.1, stopped (SIGTERM, then SIGKILL) when the block ends."""

    def __init__(self, name: str, command: list[str], port: int, log: Path,
                 env: dict[str, str] | None = None) -> None:
        self.name, self.command, self.port, self.log = name, command, port, log
        self.env = env or dict(os.environ)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        import httpx

        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=out,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        tail = self.log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{self.name} did not start on port {self.port}:\n{tail}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def rss_mb(self) -> float:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


def flowctl_server(port: int, db: str, data: Path, log: Path) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWCTL_")}
    env["FLOWCTL_ADMIN_TOKEN"] = ADMIN
    return Server("flowctl serve", [sys.executable, "-m", "flowctl", "serve", "--host",
                                    "127.0.0.1", "--port", str(port), "--db", db,
                                    "--data-dir", str(data)], port, log, env)


def bare_server(port: int, db: str, log: Path) -> Server:
    return Server("bare endpoint", [sys.executable, str(HERE / "bare_app.py"), "--port", str(port),
                                    "--db", db], port, log)


# -- the API, before wrk starts ----------------------------------------------------------------


async def _publish_and_open(url: str, count: int) -> list[tuple[str, str]]:
    """Publish the bench project (a no-op when it is there) and open ``count`` conversations:
    their ids and tokens."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        answer = await client.post(f"/v1/projects/{PROJECT}/revisions",
                                   json={"files": FILES, "message": "bench"},
                                   headers={"Authorization": f"Bearer {ADMIN}"})
        if answer.status_code not in (200, 201):
            raise RuntimeError(f"publish failed: {answer.status_code} {answer.text}")
        parallel = asyncio.Semaphore(10)

        async def one() -> tuple[str, str]:
            async with parallel:
                visitor = (await client.post(f"/v1/projects/{PROJECT}/visitors")).json()
                started = await client.post(
                    f"/v1/projects/{PROJECT}/events",
                    json={"event": {"type": "chat_opened"}, "context": {}},
                    headers={"Authorization": f"Bearer {visitor['visitor_token']}"})
                if started.status_code != 201:
                    raise RuntimeError(f"no conversation: {started.status_code} {started.text}")
                body = started.json()
                return body["conversation"]["id"], body["token"]

        return list(await asyncio.gather(*(one() for _ in range(count))))


def open_conversations(url: str, count: int, folder: Path, name: str) -> tuple[Path, list[tuple[str, str]]]:
    made = asyncio.run(_publish_and_open(url, count))
    return write_conversations(folder / f"{name}.txt", made), made


def write_conversations(path: Path, conversations: list[tuple[str, str]]) -> Path:
    path.write_text("".join(f"{cid} {token}\n" for cid, token in conversations))
    return path


# -- wrk -------------------------------------------------------------------------------------

#: Seconds of one wrk run when two servers are measured in turn.
SLICE = 2


@dataclasses.dataclass
class Load:
    requests: int
    seconds: float
    errors: dict[str, int]
    histogram: dict[int, int]  # latency in microseconds -> requests

    @property
    def rate(self) -> float:
        """Answered requests per second (non-2xx/3xx answers left out)."""
        return (self.requests - self.errors["status"]) / self.seconds

    @property
    def failed(self) -> int:
        return sum(self.errors.values())

    def percentile_ms(self, percent: float) -> float:
        total = sum(self.histogram.values())
        seen = 0
        for value in sorted(self.histogram):
            seen += self.histogram[value]
            if seen >= total * percent / 100:
                return value / 1000
        return 0.0

    def __add__(self, other: Load) -> Load:
        histogram = dict(self.histogram)
        for value, count in other.histogram.items():
            histogram[value] = histogram.get(value, 0) + count
        return Load(self.requests + other.requests, self.seconds + other.seconds,
                    {k: v + other.errors[k] for k, v in self.errors.items()}, histogram)


def wrk(url: str, conversations: Path, seconds: int, run: str,
        ports: list[int] | None = None) -> Load:
    histogram = conversations.with_suffix(".histogram")
    env = {**os.environ, "BENCH_CONVERSATIONS": str(conversations), "BENCH_THREADS": str(THREADS),
           "BENCH_RUN": f"{run}-{secrets.token_hex(4)}", "BENCH_HISTOGRAM": str(histogram)}
    if ports:
        env["BENCH_PORTS"] = ",".join(map(str, ports))
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
               "--timeout", "5s", "-s", str(LUA), url]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 30)
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    values = {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
    counts: dict[int, int] = {}
    for entry in histogram.read_text().split("\n"):
        if entry:
            value, count = entry.split()
            counts[int(value)] = counts.get(int(value), 0) + int(count)
    return Load(values["requests"], values["duration_us"] / 1e6,
                {k: values[k] for k in ("connect", "read", "write", "status", "timeout")}, counts)


@dataclasses.dataclass
class Side:
    url: str
    conversations: Path
    ports: list[int] | None = None


def in_turn(sides: list[Side], seconds: int, run: str) -> list[Load]:
    """A 1 s warm-up of each side (not counted), then wrk against each side in turn, in
    SLICE-second runs (the order reversed every round), until each had ``seconds``: load from
    elsewhere on the machine falls on both alike.  Each side's runs summed."""
    for i, side in enumerate(sides):
        wrk(side.url, side.conversations, 1, f"{run}-warm-{i}", side.ports)
    totals: list[Load | None] = [None] * len(sides)
    for round_ in range(max(1, seconds // SLICE)):
        order = list(enumerate(sides))
        for i, side in order if round_ % 2 == 0 else reversed(order):
            load = wrk(side.url, side.conversations, SLICE, f"{run}-{i}-{round_}", side.ports)
            previous = totals[i]
            totals[i] = load if previous is None else previous + load
    return [load for load in totals if load is not None]


def load_row(label: str, unit: str, load: Load) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in load.errors.items() if v) or "none"
    return (f"  {label:<40} {load.rate:8,.0f} {unit}/s   p50 {load.percentile_ms(50):6.1f} ms"
            f"   p99 {load.percentile_ms(99):6.1f} ms   ({load.requests:,} requests, "
            f"errors: {errors})")


def compare(ours: Load, base: Load) -> str:
    ratio = ours.rate / base.rate
    p99 = ours.percentile_ms(99)
    throughput = "met" if ratio >= 0.5 else "NOT MET"
    latency = "met" if p99 < 50 else "NOT MET"
    return (f"  ratio {ratio:5.2f} (target >= 0.5: {throughput});  flowctl p99 "
            f"{p99:.1f} ms (target < 50 ms: {latency})")


def heading(what: str, seconds: int) -> str:
    return (f"{what}: wrk -t{THREADS} -c{CONNECTIONS}, {seconds} s each in {SLICE} s runs taken "
            f"in turn, {CONVERSATIONS} conversations")


# -- 1. SQLite ------------------------------------------------------------------------------


def sqlite_rows(tmp: Path, seconds: int) -> None:
    from bare_app import prepare

    print(heading("SQLite (durability full), 1 process", seconds))
    bare_db = f"sqlite:///{tmp / 'bare.db'}"
    prepare(bare_db)
    with bare_server(free_port(), bare_db, tmp / "bare-sqlite.log") as bare, \
            flowctl_server(free_port(), f"sqlite:///{tmp / 'flowctl.db'}", tmp / "data-sqlite",
                           tmp / "flowctl-sqlite.log") as server:
        listed, _ = open_conversations(server.url, CONVERSATIONS, tmp, "sqlite")
        fake = write_conversations(tmp / "bare-sqlite.txt", _fake(CONVERSATIONS))
        ours, base = in_turn([Side(server.url, listed), Side(bare.url, fake)], seconds, "sqlite")
    print(load_row("flowctl serve (messages)", "msg", ours))
    print(load_row("bare Starlette + 1 INSERT", "req", base))
    print(compare(ours, base))


def _fake(count: int) -> list[tuple[str, str]]:
    return [(f"c_{secrets.token_hex(12)}", "none") for _ in range(count)]


# -- 2. PostgreSQL --------------------------------------------------------------------------


def postgres_rows(tmp: Path, seconds: int) -> None:
    from bare_app import prepare

    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3, autocommit=True):
            pass
    except Exception as error:
        print(f"PostgreSQL: not reachable at {PG_ADMIN} ({type(error).__name__}): skipped")
        return
    print(heading("PostgreSQL, 2 processes (one wrk thread on each)", seconds))
    name = "flowctl_bench_" + secrets.token_hex(6)
    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    db = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        prepare(db)
        with contextlib.ExitStack() as stack:
            bare_ports, ports = [free_port(), free_port()], [free_port(), free_port()]
            for i, port in enumerate(bare_ports):
                stack.enter_context(bare_server(port, db, tmp / f"bare-pg-{i}.log"))
            servers = [stack.enter_context(flowctl_server(port, db, tmp / "data-pg",
                                                          tmp / f"flowctl-pg-{i}.log"))
                       for i, port in enumerate(ports)]
            listed, _ = open_conversations(servers[0].url, CONVERSATIONS, tmp, "pg")
            fake = write_conversations(tmp / "bare-pg.txt", _fake(CONVERSATIONS))
            ours, base = in_turn([Side(servers[0].url, listed, ports),
                                  Side(f"http://127.0.0.1:{bare_ports[0]}", fake, bare_ports)],
                                 seconds, "pg")
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    print(load_row("flowctl serve x2 (messages)", "msg", ours))
    print(load_row("bare Starlette + 1 INSERT x2 (pool)", "req", base))
    print(compare(ours, base))


# -- 3. RSS with many stored conversations ----------------------------------------------------


async def store_conversations(db: str, template: str, count: int,
                              deadline: float) -> list[tuple[str, str]]:
    """Clone the conversation ``template`` ``count`` times (visitor, conversation, start and
    its events, each with fresh ids and tokens) through the storage's Tx API; stops at
    ``deadline``.  The new conversations' ids and tokens."""
    from flowctl.server import auth
    from flowctl.server.storage import open_storage

    storage = await open_storage(db, durability="normal")  # this loader's commits only
    made: list[tuple[str, str]] = []
    try:
        async with storage.read() as tx:
            row = await tx.conversation(template)
            assert row is not None
            events = await tx.events(template)
        state, context = json.dumps(row.state), json.dumps(row.context)
        while len(made) < count and time.monotonic() < deadline:
            async with storage.transaction() as tx:
                for _ in range(min(2_000, count - len(made))):
                    cid, visitor, token = auth.new_id("c_"), auth.new_id("v_"), auth.new_token("fc_")
                    clone = dataclasses.replace(
                        row, id=cid, visitor_id=visitor, token_hash=auth.token_hash(token),
                        state=json.loads(state.replace(template, cid)),
                        context=json.loads(context.replace(template, cid)))
                    await tx.add_visitor(visitor, row.project,
                                         auth.token_hash(auth.new_token("fv_")), row.started_at)
                    await tx.add_conversation(clone, time.time())
                    await tx.record_start(row.project, visitor, row.flow, row.started_at)
                    await tx.add_events([dataclasses.replace(e, conversation_id=cid)
                                         for e in events])
                    made.append((cid, token))
    finally:
        await storage.close()
    return made


def rss_rows(tmp: Path, steps: tuple[int, int], burst: int, budget: float) -> None:
    sample = 2_000 if steps[0] >= 10_000 else steps[0] // 5
    print(f"RSS of flowctl serve (SQLite) with stored conversations; after each step wrk "
          f"-d{burst}s to {sample:,} conversations it has not seen")
    db = f"sqlite:///{tmp / 'rss.db'}"
    port = free_port()
    deadline = time.monotonic() + budget
    figures: list[tuple[str, float]] = []
    with flowctl_server(port, db, tmp / "data-rss", tmp / "flowctl-rss.log") as server:
        listed, made = open_conversations(server.url, CONVERSATIONS + 1, tmp, "rss-warm")
        template = made.pop()[0]  # never messaged: 3 events to clone
        write_conversations(listed, made)
        warm = wrk(server.url, listed, burst, "rss-warm")
        figures.append((f"after start and warm-up ({CONVERSATIONS} conversations)",
                        server.rss_mb()))
        stored = CONVERSATIONS + 1
        loads = [warm]
        short = None
        for target in steps:
            started = time.monotonic()
            fresh = asyncio.run(store_conversations(db, template, target - stored, deadline))
            stored += len(fresh)
            took = time.monotonic() - started
            if stored < target:
                short = (f"  only {stored:,} of {target:,} conversations stored within the "
                         f"{budget:.0f} s budget: figures below are at {stored:,}")
            if not fresh:
                break
            picked = random.sample(fresh, min(sample, len(fresh)))
            loads.append(wrk(server.url, write_conversations(tmp / "rss.txt", picked), burst,
                             f"rss-{target}"))
            figures.append((f"{stored:,} stored conversations (+{len(fresh):,} in {took:.0f} s)",
                            server.rss_mb()))
            if short:
                break
    for label, mb in figures:
        print(f"  {label:<52} {mb:7.1f} MB")
    if short:
        print(short)
    failed = sum(load.failed for load in loads)
    if failed:
        print(f"  warning: {failed} failed requests during the RSS bursts")
    if len(figures) == 3:
        ratio = figures[2][1] / figures[1][1]
        met = "met" if ratio <= 1.2 else "NOT MET"
        print(f"  growth {figures[2][0].split(' ')[0]} / {figures[1][0].split(' ')[0]}: "
              f"{ratio:.2f} (target <= 1.2, flat: {met})")


def main() -> None:
    quick = "--quick" in sys.argv
    if shutil.which("wrk") is None:
        print("bench/server.py: wrk is not installed (make wrk installs it from the system's "
              "packages)", file=sys.stderr)
        sys.exit(1)
    seconds = 4 if quick else 10
    started = time.monotonic()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== flowctl serve under wrk on 127.0.0.1 (ratios measured in this run; {os.cpu_count()} "
          f"cores, load average {load} before it)")
    with tempfile.TemporaryDirectory(prefix="flowctl-bench-") as folder:
        tmp = Path(folder)
        sqlite_rows(tmp, seconds)
        postgres_rows(tmp, seconds)
        rss_rows(tmp, (2_000, 20_000) if quick else (10_000, 100_000), 2 if quick else 4,
                 30 if quick else 75)
    print(f"  ({time.monotonic() - started:.0f} s in all)")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
