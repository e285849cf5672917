"""Real ``flowctl serve`` processes (issue 9): two processes on one PostgreSQL database
serving the same conversations, a timer and an answer racing for one input, and ``kill -9``
in the middle of conversations and of outbox deliveries.

Every server runs on a free port of 127.0.0.1 and is stopped when its test ends, passed or
failed (``processes.Servers``); every loop is bounded in count and in time; the only other
traffic is to a stub endpoint on 127.0.0.1 that the servers may call
(``--allow-egress 127.0.0.1:PORT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import ADMIN, postgres_database
from .processes import Endpoint, Server, Servers, project_files

pytestmark = pytest.mark.anyio

#: Seconds any one request of a test may take.
REQUEST_TIMEOUT = 20.0


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    started = Servers(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


def _postgres_database() -> Iterator[str]:
    return postgres_database("flowctl_proc_")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL database made for the test and dropped after it."""
    yield from _postgres_database()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runtime.db'}"
        return
    yield from _postgres_database()


# -- a client of the servers --------------------------------------------------------------------


@dataclass
class Chat:
    """One visitor's conversation, and every message it sent with what came back."""

    id: str
    token: str
    sent: list[dict[str, Any]] = field(default_factory=list)  # {key, text, status, answer}

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Client:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def publish(self, server: Server, files: dict[str, str]) -> None:
        answer = await self.http.post(f"{server.url}/v1/projects/proc/revisions",
                                      json={"files": files, "message": "test"},
                                      headers={"Authorization": f"Bearer {ADMIN}"})
        assert answer.status_code == 201, answer.text

    async def start(self, server: Server, event: dict[str, Any], visitor_on: Server | None = None,
                    also: Server | None = None) -> tuple[Chat, dict[str, Any]]:
        """A new visitor, and ``event`` from it; with ``also``, the same event to that
        process at the same time: one conversation starts, the other answer names it."""
        visitor = await self.http.post(f"{(visitor_on or server).url}/v1/projects/proc/visitors")
        assert visitor.status_code == 201, visitor.text
        headers = {"Authorization": f"Bearer {visitor.json()['visitor_token']}"}
        answers = await asyncio.gather(*(
            self.http.post(f"{process.url}/v1/projects/proc/events", json={"event": event},
                           headers=headers) for process in (server, also) if process))
        started = [a for a in answers if a.status_code == 201]
        assert len(started) == 1, [a.text for a in answers]
        body = started[0].json()
        for other in answers:
            if other is not started[0]:
                assert other.status_code == 200, other.text
                assert other.json() == {"started": False,
                                        "open_conversation": body["conversation"]["id"]}
        return Chat(body["conversation"]["id"], body["token"]), body

    async def say(self, server: Server, chat: Chat, text: str, key: str,
                  **extra: Any) -> httpx.Response:
        return await self.http.post(f"{server.url}/v1/conversations/{chat.id}/messages",
                                    json={"type": "text", "text": text, **extra},
                                    headers={**chat.auth, "Idempotency-Key": key})

    async def said(self, server: Server, chat: Chat, text: str, key: str) -> dict[str, Any]:
        """Send, record and return ``{key, text, status, answer}``."""
        answer = await self.say(server, chat, text, key)
        sent = {"key": key, "text": text, "status": answer.status_code, "answer": answer.json()}
        chat.sent.append(sent)
        return sent

    async def conversation(self, server: Server, chat: Chat) -> dict[str, Any]:
        answer = await self.http.get(f"{server.url}/v1/conversations/{chat.id}", headers=chat.auth)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def events(self, server: Server, chat: Chat) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{server.url}/v1/conversations/{chat.id}/events",
                                     params={"after": 0}, headers=chat.auth)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["events"])


def http_client(connections: int = 64) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=REQUEST_TIMEOUT, trust_env=False,
                             limits=httpx.Limits(max_connections=connections))


def visitor_texts(transcript: list[dict[str, Any]]) -> list[str]:
    return [e["message"]["text"] for e in transcript if e["from"] == "visitor"]


def epoch(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()


def check_log(events: list[dict[str, Any]], conversation: dict[str, Any]) -> None:
    """The event log numbers 1..n with no gap and no repeat, and the transcript is its
    messages in the same order."""
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    transcript = conversation["transcript"]
    assert [e["seq"] for e in transcript] == [e["seq"] for e in events if e["type"] == "message"]
    assert [e["message"] for e in transcript] == [e["data"] for e in events
                                                  if e["type"] == "message"]


def check_chatty(chat: Chat, conversation: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """A ``chatty`` conversation took every message that got a 200 exactly once, each
    answered right after it (the echo counts 1, 2, 3...), and each 200's answer says what
    the transcript says about that message."""
    check_log(events, conversation)
    transcript = conversation["transcript"]
    accepted: dict[str, dict[str, Any]] = {}
    for sent in chat.sent:
        if sent["status"] == 200:
            first = accepted.setdefault(sent["key"], sent)
            assert first["text"] == sent["text"]
            assert first["answer"] == sent["answer"], "a replay differs from the first answer"
    texts = visitor_texts(transcript)
    assert sorted(texts) == sorted(s["text"] for s in accepted.values()), \
        f"lost or applied twice: {sorted(texts)} != {sorted(s['text'] for s in accepted.values())}"
    assert len(set(texts)) == len(texts)
    position = {e["seq"]: i for i, e in enumerate(transcript)}
    count = 0
    for entry in transcript:
        if entry["from"] != "visitor":
            continue
        count += 1
        echo = transcript[position[entry["seq"]] + 1]
        assert echo["from"] == "bot" and echo["message"]["text"] == \
            f"#{count} got {entry['message']['text']}", (entry, echo)
    by_text = {e["message"]["text"]: e for e in transcript if e["from"] == "visitor"}
    visitor_seqs = sorted(e["seq"] for e in by_text.values())
    for sent in accepted.values():
        answer = sent["answer"]
        entry = by_text[sent["text"]]
        number = visitor_seqs.index(entry["seq"]) + 1
        assert answer["messages"][0]["text"] == f"#{number} got {sent['text']}"
        later = [s for s in visitor_seqs if s > entry["seq"]]
        assert entry["seq"] < answer["seq"] < (later[0] if later else events[-1]["seq"] + 1)
    assert conversation["tags"] == (["talked"] if texts else [])


# -- 1. two processes on one PostgreSQL database ------------------------------------------------

VISITORS = 50
MESSAGES = 8  # sequential messages per visitor, besides the concurrent pairs and the retries


async def _visitor(client: Client, pair: tuple[Server, Server], n: int) -> Chat:
    """Visitor ``n``: its messages alternate between the two processes; every fifth sends two
    messages at once, one to each process; every fifth (another one) sends each message a
    second time with the same key to the other process, some at once, some afterwards;
    every fifth (another one) opens the chat on both processes at once."""
    a, b = pair if n % 2 == 0 else pair[::-1]
    chat, _ = await client.start(a, {"type": "chat_opened"}, visitor_on=b,
                                 also=b if n % 5 == 2 else None)
    for j in range(MESSAGES):
        here, there = (a, b) if j % 2 == 0 else (b, a)
        key, text = f"v{n}-k{j}", f"v{n}-m{j}"
        if n % 5 == 0 and j in (2, 5):
            await asyncio.gather(client.said(here, chat, text + "a", key + "a"),
                                 client.said(there, chat, text + "b", key + "b"))
        elif n % 5 == 1 and j % 3 == 0:  # the same key, to both processes at once
            await asyncio.gather(client.said(here, chat, text, key),
                                 client.said(there, chat, text, key))
        elif n % 5 == 1:  # the same key again, to the other process, after the first answer
            await client.said(here, chat, text, key)
            await client.said(there, chat, text, key)
        else:
            await client.said(here, chat, text, key)
    return chat


async def test_two_processes_on_one_postgres_lose_no_message_and_apply_none_twice(
        servers: Servers, pg_url: str) -> None:
    a = servers.start(pg_url, name="a")
    b = servers.start(pg_url, name="b")
    async with http_client() as http:
        client = Client(http)
        await client.publish(a, project_files())
        started = time.monotonic()
        chats = await asyncio.wait_for(
            asyncio.gather(*(_visitor(client, (a, b), n) for n in range(VISITORS))), 60)
        elapsed = time.monotonic() - started
        sent = [s for chat in chats for s in chat.sent]
        refused = [s for s in sent if s["status"] != 200]
        assert not refused, (refused[:3], servers.logs())
        for n, chat in enumerate(chats):
            reader, other = (a, b) if n % 2 else (b, a)
            conversation = await client.conversation(reader, chat)
            check_chatty(chat, conversation, await client.events(other, chat))
            # one at a time per visitor (the pairs: both between the messages around them)
            groups = [t.rstrip("ab") for t in visitor_texts(conversation["transcript"])]
            assert [g for g, _ in groupby(groups)] == \
                list(dict.fromkeys(s["text"].rstrip("ab") for s in chat.sent))
    replays = sum(1 for chat in chats for i, s in enumerate(chat.sent)
                  if s["key"] in {x["key"] for x in chat.sent[:i]})
    print(f"\n{VISITORS} visitors, {len(sent)} messages ({replays} with a key already sent) "
          f"over 2 processes in {elapsed:.1f} s")


async def test_a_timer_and_an_answer_racing_for_one_input_exactly_one_wins(
        servers: Servers, pg_url: str) -> None:
    """20 conversations ask with ``timeout: 1``; each answer (``in_reply_to`` the input) goes
    to one process around the expiry while both processes' workers fire timers.  5 more
    conversations nobody answers must time out within 2 s of ``expires_at``."""
    a = servers.start(pg_url, name="a")
    b = servers.start(pg_url, name="b")
    races = 20
    # answers from 0.3 s before the expiry to 2.2 s after it (by then the timer must have
    # fired), most of them in the first 0.4 s after it, where the worker's pass lands
    offsets = [-0.3, 2.2] + [-0.05 + 0.45 * k / (races - 3) for k in range(races - 2)]
    async with http_client() as http:
        client = Client(http)
        await client.publish(a, project_files())

        async def race(n: int, offset: float | None) -> tuple[Chat, dict[str, Any], Any]:
            here, there = (a, b) if n % 2 == 0 else (b, a)
            chat, body = await client.start(here, {"type": "page_view"})
            awaited = body["conversation"]["input"]
            assert awaited["id"] == "quick@1" and awaited["expires_at"]
            expires = epoch(awaited["expires_at"])
            if offset is None:  # nobody answers: watch for the timeout, from outside
                for _ in range(200):
                    events = await client.events(here if n % 2 else there, chat)
                    if any(e["data"].get("text") == "Too slow." for e in events):
                        unprompted.append(time.time() - expires)
                        break
                    if time.time() > expires + 5:
                        break
                    await asyncio.sleep(0.05)
                return chat, awaited, None
            await asyncio.sleep(max(0.0, expires + offset - time.time()))
            sent_at = time.time()
            answer = await client.say(there, chat, f"answer {n}", f"k{n}", in_reply_to=awaited["id"])
            if answer.status_code == 200:
                after_expiry.append(sent_at >= expires)
                return chat, awaited, 200
            return chat, awaited, (answer.status_code, answer.json()["error"]["code"])

        after_expiry: list[bool] = []  # per answer taken: was it sent after expires_at?
        unprompted: list[float] = []  # seen by a client this long after expires_at
        jobs = [race(n, offset) for n, offset in enumerate(offsets)]
        jobs += [race(races + n, None) for n in range(5)]
        results = await asyncio.wait_for(asyncio.gather(*jobs), 30)
        await asyncio.sleep(max(0.0, max(epoch(r[1]["expires_at"]) for r in results) + 2.2
                                - time.time()))
        answered = timed_out = 0
        late: list[float] = []
        for n, (chat, awaited, status) in enumerate(results):
            conversation = await client.conversation(b if n % 2 else a, chat)
            check_log(await client.events(a if n % 2 else b, chat), conversation)
            transcript = conversation["transcript"]
            slow = [e for e in transcript if e["message"].get("text") == "Too slow."]
            texts = visitor_texts(transcript)
            if status == 200:
                answered += 1
                assert not slow and texts == [f"answer {n}"]
                assert conversation["status"] == "ended" and conversation["outcome"] == "answered"
            else:
                assert status in (None, (409, "not_awaited")), status
                timed_out += status is not None
                assert len(slow) == 1 and texts == [], transcript
                assert conversation["input"]["id"] == "again@2"
                late.append(epoch(slow[0]["at"]) - epoch(awaited["expires_at"]))
    assert answered >= 1 and timed_out >= 1, (answered, timed_out)
    assert len(late) == timed_out + 5 and max(late) <= 2.0, late
    assert len(unprompted) == 5 and max(unprompted) <= 2.0, unprompted
    print(f"\n{races} races: {answered} answers won ({sum(after_expiry)} of them answered after "
          f"expires_at, before the timer fired), {timed_out} timeouts won; "
          f"{len(late)} timeouts fired {min(late):.2f}-{max(late):.2f} s after expires_at; "
          f"5 unanswered seen by a client {min(unprompted):.2f}-{max(unprompted):.2f} s after it")


# -- 2. kill -9 ---------------------------------------------------------------------------------

KILL_VISITORS = 12
KILLS = 3


async def test_kill_9_during_conversations_loses_no_committed_message(
        servers: Servers, db_url: str) -> None:
    """Visitors talk without pause; a server is killed (``kill -9``) with messages in flight,
    three times, and restarted on the same database.  On SQLite the one server is restarted
    before anything else; on PostgreSQL a second process serves on while the first is dead
    (the killed process's transactions and row locks die with its connections).  Every
    message that got a 200 is in its transcript once; every request the kill cut is sent
    again with the same key (to the process that is up) and is applied once, whether or not
    it had committed; every conversation goes on from where it was."""
    pool = [servers.start(db_url, name="a")]
    if db_url.startswith("postgresql"):
        pool.append(servers.start(db_url, name="b"))
    victim, survivor = pool[0], pool[-1]
    committed_cuts = cuts = 0
    async with http_client() as http:
        client = Client(http)
        await client.publish(victim, project_files())
        chats = [(await client.start(pool[n % len(pool)], {"type": "chat_opened"}))[0]
                 for n in range(KILL_VISITORS)]
        counters = [0] * KILL_VISITORS
        cut: list[dict[str, Any]] = []

        async def talk(n: int, stop: asyncio.Event) -> None:
            chat = chats[n]
            for _ in range(500):
                if stop.is_set():
                    return
                key, text = f"v{n}-k{counters[n]}", f"v{n}-m{counters[n]}"
                try:
                    await client.said(pool[(n + counters[n]) % len(pool)], chat, text, key)
                except httpx.TransportError:
                    cut.append({"chat": n, "key": key, "text": text})
                    return
                finally:
                    counters[n] += 1

        for _ in range(KILLS):
            stop = asyncio.Event()
            talking = [asyncio.create_task(talk(n, stop)) for n in range(KILL_VISITORS)]
            before = sum(len(c.sent) for c in chats)
            deadline = time.monotonic() + 10
            while sum(len(c.sent) for c in chats) < before + 60 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            victim.kill9()
            stop.set()
            await asyncio.wait_for(asyncio.gather(*talking), 15)
            assert cut, "the kill cut no request"
            if survivor is victim:
                servers.restart(victim)
            for lost in cut:  # the requests the kill cut: the same key and body again
                chat = chats[lost["chat"]]
                transcript = (await client.conversation(survivor, chat))["transcript"]
                committed_cuts += lost["text"] in visitor_texts(transcript)
                await client.said(survivor, chat, lost["text"], lost["key"])
            cuts += len(cut)
            cut.clear()
            if survivor is not victim:
                servers.restart(victim)
        for n, chat in enumerate(chats):  # and every conversation goes on, on every process
            for process in pool:
                await client.said(process, chat, f"v{n}-after-{process.port}", f"v{n}-after-{process.port}")
        for n, chat in enumerate(chats):
            assert all(s["status"] == 200 for s in chat.sent), [s for s in chat.sent
                                                                 if s["status"] != 200]
            conversation = await client.conversation(pool[n % len(pool)], chat)
            check_chatty(chat, conversation, await client.events(survivor, chat))
            ordered = list(dict.fromkeys(s["text"] for s in chat.sent))
            assert visitor_texts(conversation["transcript"]) == ordered
    total = sum(len(c.sent) for c in chats)
    print(f"\n{KILL_VISITORS} visitors on {len(pool)} process(es), {total} messages answered, "
          f"{KILLS} kills cut {cuts} requests ({committed_cuts} had committed: replayed)")


CALLS = 6


async def test_kill_9_during_outbox_delivery_delivers_every_call_with_its_key(
        servers: Servers, db_url: str) -> None:
    """Conversations wait for a call to a slow endpoint (1.2 s, then 503, then 200); the
    server is killed while the first attempts are under way and restarted (on PostgreSQL
    with a second process beside it, both taking calls over when the 3 s lease ends): every
    call is delivered, each repeat carries the same Idempotency-Key and no attempt is made
    twice, and every conversation resumes once with the answer of the 200."""
    endpoint = Endpoint(lambda key, attempt: (0.0, 200) if key.endswith(":again:1") else
                        (1.2, 503) if attempt == 1 else (0.0, 503) if attempt == 2 else (0.0, 200))
    try:
        args = ("--allow-egress", f"127.0.0.1:{endpoint.port}", "--inline-wait", "0")
        env = {"FLOWCTL_LEASE_SECONDS": "3"}
        server = servers.start(db_url, args=args, env=env, name="a")
        async with http_client() as http:
            client = Client(http)
            await client.publish(server, project_files(endpoint.port))
            started = await asyncio.gather(*(
                client.start(server, {"type": "custom", "name": "call", "data": {"who": f"v{n}"}})
                for n in range(CALLS)))
            assert all(body["conversation"]["waiting_for"] == "response" for _, body in started)
            chats = [chat for chat, _ in started]
            deadline = time.monotonic() + 10
            while len(endpoint.requests) < CALLS and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert len(endpoint.requests) == CALLS, (endpoint.requests, servers.logs())
            server.kill9()  # while the first attempts are under way
            cut = endpoint.in_flight
            assert cut >= 1
            servers.restart(server)
            if db_url.startswith("postgresql"):  # two processes race to take the calls over
                servers.start(db_url, args=args, env=env, name="b")
            expected = {f"{chat.id}:push:1": chat for chat in chats}
            deadline = time.monotonic() + 20
            waiting = dict(expected)
            while waiting and time.monotonic() < deadline:
                for key, chat in list(waiting.items()):
                    if (await client.conversation(server, chat))["waiting_for"] == "answer":
                        del waiting[key]
                await asyncio.sleep(0.1)
            assert not waiting, (list(waiting), endpoint.keys(), servers.logs())
            seen = endpoint.keys()
            assert set(seen) == set(expected)
            for key, chat in expected.items():
                attempts = seen[key]
                assert [r["attempt"] for r in attempts] == [1, 2, 3], attempts
                assert all(r["body"] == {"visitor": f"v{chats.index(chat)}"} for r in attempts)
                conversation = await client.conversation(server, chat)
                check_log(await client.events(server, chat), conversation)
                bot = [e["message"]["text"] for e in conversation["transcript"]]
                assert bot == [f"Saved as {key}#3", "Anything else?"], bot
                assert conversation["input"]["block"] == "ask"
            # and they go on: a message makes the next call (answered at once); the same key
            # again (a widget that lost the answer) replays the answer
            for chat in chats:
                first = await client.said(server, chat, "no", "k-more")
                again = await client.said(server, chat, "no", "k-more")
                assert first["status"] == again["status"] == 200, (first, again)
                assert again["answer"] == first["answer"]
            deadline = time.monotonic() + 10
            ended: set[str] = set()
            while len(ended) < len(chats) and time.monotonic() < deadline:
                for chat in chats:
                    if (await client.conversation(server, chat))["status"] == "ended":
                        ended.add(chat.id)
                await asyncio.sleep(0.05)
            for chat in chats:
                conversation = await client.conversation(server, chat)
                assert conversation["outcome"] == "completed", conversation
                assert conversation["transcript"][-1]["message"]["text"] == \
                    f"Saved again as {chat.id}:again:1#1"
                assert visitor_texts(conversation["transcript"]) == ["no"]
    finally:
        endpoint.close()
    print(f"\n{CALLS} calls, 1 kill with {cut} attempts under way, "
          f"{sum(len(v) for v in seen.values())} attempts in all")


def _children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(pid) and not fields.get("State", "").startswith("Z"):
            found.append(int(entry.name))
    return found


async def test_workers_2_is_two_processes_on_one_port_that_share_the_conversations(
        servers: Servers, pg_url: str) -> None:
    server = servers.start(pg_url, args=("--workers", "2"), name="workers")
    assert server.process is not None
    deadline = time.monotonic() + 30  # each worker imports the app: slow on a busy machine
    while len(_children(server.process.pid)) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    workers = _children(server.process.pid)
    assert len(workers) >= 2, (workers, server.log())
    async with http_client() as http:
        client = Client(http)
        await client.publish(server, project_files())
        chats = await asyncio.wait_for(asyncio.gather(
            *(_visitor(client, (server, server), n) for n in range(10))), 60)
        for chat in chats:
            assert all(s["status"] == 200 for s in chat.sent), server.log()
            check_chatty(chat, await client.conversation(server, chat),
                         await client.events(server, chat))
    server.stop()

    def alive() -> list[int]:
        found = []
        for pid in workers:
            with contextlib.suppress(OSError):
                if "State:\tZ" not in Path(f"/proc/{pid}/status").read_text():
                    found.append(pid)
        return found

    deadline = time.monotonic() + 15  # the workers finish their shutdown after the parent
    while alive() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not alive(), server.log()
