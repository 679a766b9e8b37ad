"""Load and faults on two `voc serve` instances on one PostgreSQL: nothing doubled, nothing lost.

Starts the fake Slack Web API as an HTTP server in a process of its own, migrates a fresh schema
on the PostgreSQL server (`--database-url`, default `VOC_TEST_DATABASE_URL`; dropped at the
end), and serves two `voc serve` instances on it, each with two workers and its own scheduler.
Client threads then send a fixed count of signed, mixed requests (account reports, commitment
captures through the modal's submission, ✅ reactions on posted commitments, Done buttons in the
owners' DMs), spread over both instances. Meanwhile: one worker of instance A is killed
(SIGKILL) at 25 %, Slack answers 500 (some after storing the message), 429 with Retry-After
and plain 500 between 30 % and 50 %, and the whole of instance B is killed at 60 % (its clients
move to A, as behind a health-checking proxy).

Afterwards each instance's scheduler runs a tick (`voc tick --now`) later than the dead
workers' leases, at the same time, twice; what each repaired is printed. Then, from the database
and the fake Slack: duplicated effects (commitments recorded twice, messages posted twice, audit
entries doubled) and lost effects (acknowledged captures not stored, stored commitments never
posted or their owner never told, acknowledged commands never answered).

    python benchmarks/fault_bench.py [--requests 400] [--threads 8] [--database-url URL]

It is one file somewhat over 600 lines on purpose: the fake Slack's process, the instances, the
load, the faults and the accounting are read together to judge one figure, and run as one script.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import multiprocessing
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.runtime import Runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from storage.db import make_engine, normalize_url, session_factory, upgrade  # noqa: E402
from storage.models import AuditEntry, Commitment, Delivery  # noqa: E402
from tests.portfolio import AM, MEMBER, SPONSOR, account_row, load, response_row  # noqa: E402
from tests.slack import BOT_USER_ID, FakeSlack, SlackRequests  # noqa: E402
from tests.test_commitments_slack import SlackReactions, _row, _state  # noqa: E402

SECRET = "bench-signing-secret"
ACCOUNTS = [f"Bench {letter}" for letter in "ABCD"]
CHANNELS = {name: f"C0BENCH0{index}" for index, name in enumerate(ACCOUNTS)}
DEFAULT_URL = os.environ.get("VOC_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LATER_THAN_A_LEASE = timedelta(minutes=6)
QUIET_SECONDS = 3.0


# --- the fake Slack, in a process of its own ------------------------------------------------------


def _fake_slack(conn: Any) -> None:
    """Serve the fake Slack and answer the benchmark's commands over a pipe until told to stop."""
    with FakeSlack() as slack:
        for user in (AM, MEMBER, SPONSOR):
            slack.add_user(user)
        for channel in CHANNELS.values():
            slack.add_channel(channel, members=[AM, MEMBER])
        reactions = SlackReactions(slack)
        conn.send(slack.api_url)
        while True:
            command, args = conn.recv()
            if command == "stop":
                conn.send(None)
                return
            if command == "react":
                conn.send(_react(reactions, *args))
                continue
            conn.send(_FAKE_COMMANDS[command](slack, *args))


def _react(reactions: SlackReactions, channel: str, ts: str, added: bool) -> bool:
    """Slack's record changes first, the event follows; False when there was nothing to remove."""
    if added:
        reactions.add(channel, ts, AM)
        return True
    try:
        reactions.remove(channel, ts, AM)
    except ValueError:
        return False
    return True


def _snapshot(slack: FakeSlack) -> dict[str, Any]:
    return {
        "messages": slack.all_messages(),
        "responses": Counter(slack.answered_response_urls()),
        "calls": Counter((call.method, call.status) for call in slack.calls),
        "views": [call.response.get("view") for call in slack.calls_to("views.open", ok=True)],
        "invalid": slack.invalid_payloads[:5],
    }


_FAKE_COMMANDS: dict[str, Callable[..., Any]] = {
    "response_urls": lambda slack, n: [slack.response_url() for _ in range(n)],
    "fail_next": lambda slack, method, status, count, retry_after: slack.fail_next(
        method, status, count=count, retry_after=retry_after
    ),
    "fail_after_effect": lambda slack, method, count: slack.fail_after_effect(method, count=count),
    "snapshot": _snapshot,
    "call_count": lambda slack: len(slack.calls),
}


class FakeSlackProcess:
    """The fake Slack's process, and a thread-safe way to send it commands."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_fake_slack, args=(child,), daemon=True)
        self.process.start()
        self.api_url: str = self.conn.recv()
        self.lock = threading.Lock()

    def __call__(self, command: str, *args: Any) -> Any:
        with self.lock:
            self.conn.send((command, args))
            return self.conn.recv()

    def stop(self) -> None:
        self("stop")
        self.process.join(10)


# --- the database and the instances ---------------------------------------------------------------


@contextlib.contextmanager
def bench_schema(url: str) -> Iterator[str]:
    """A schema of its own on the server, migrated; dropped at the end."""
    schema = f"voc_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    parsed = make_url(normalize_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    schema_url = parsed.render_as_string(hide_password=False)
    engine = make_engine(schema_url)
    upgrade(engine)
    engine.dispose()
    try:
        yield schema_url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def runtime_for(url: str) -> Runtime:
    settings = load_settings(environ={"DATABASE_URL": url}, env_file=None)
    engine = make_engine(url)
    return Runtime(settings=settings, engine=engine, sessions=session_factory(engine))


def seed(runtime: Runtime) -> None:
    accounts = [account_row(name, channel=CHANNELS[name]) for name in ACCOUNTS]
    responses = [
        response_row(name, "2026-Q4", f"Person {index}", 3 + index % 7, 5, 6, comment="Slow")
        for name in ACCOUNTS
        for index in range(12)
    ]
    load(runtime, accounts, responses)


@dataclass
class Instance:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def kill_whole(self) -> None:
        for pid in [self.process.pid, *self.workers()]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(10)


def instance_env(database_url: str, api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "VOC_"))}
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=api_url,
        PYTHONPATH=str(ROOT),
    )
    return env


def serve(name: str, env: dict[str, str], directory: Path) -> Instance:
    port = _free_port()
    log = directory / f"instance-{name}.log"
    argv = ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *argv],
            env=env,
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
    instance = Instance(name, port, process, log)
    deadline = time.monotonic() + 60
    while b"Listening at:" not in log.read_bytes() or len(instance.workers()) < 2:
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"instance {name} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return instance


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the load -------------------------------------------------------------------------------------


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    acked_captures: list[str] = field(default_factory=list)
    acked_commands: list[str] = field(default_factory=list)  # their response URLs
    moved: int = 0  # requests re-sent to the other instance after a refused connection
    lock: threading.Lock = field(default_factory=threading.Lock)


class Load:
    """Client threads sending a fixed count of mixed signed requests to the live instances."""

    def __init__(self, fake: FakeSlackProcess, instances: list[Instance], count: int) -> None:
        self.fake = fake
        self.instances = instances
        self.alive = list(instances)
        self.count = count
        self.sent = itertools.count()
        self.done = 0
        self.results = Results()
        self.urls = iter(fake("response_urls", count * 2))
        self.url_lock = threading.Lock()
        self.views = {name: self._modal(name) for name in ACCOUNTS}
        self.known: list[tuple[str, dict[str, Any]]] = []  # (kind, message) to react or press on
        self.capture_ids = itertools.count(1)

    def _modal(self, account: str) -> dict[str, Any]:
        """The capture modal as the bot opens it: submitted many times with different values."""
        seen = len(self.fake("snapshot")["views"])
        reply = self._requests(self.instances[0]).slash_command(
            f'commit "{account}"', user_id=AM, channel_id=CHANNELS[account]
        )
        assert reply.status == 200, reply.text
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            views = self.fake("snapshot")["views"]
            if len(views) > seen:
                return views[-1]
            time.sleep(0.1)
        raise SystemExit(f"the capture modal for {account} never opened")

    def _requests(self, instance: Instance) -> SlackRequests:
        return SlackRequests(instance.url, SECRET, timeout=30)

    def _url(self) -> str:
        with self.url_lock:
            return next(self.urls)

    def run(self, threads: int, at: dict[float, Callable[[], None]]) -> None:
        workers = [threading.Thread(target=self._client, args=(n,)) for n in range(threads)]
        started = time.monotonic()
        for worker in workers:
            worker.start()
        pending = sorted(at.items())
        while any(worker.is_alive() for worker in workers):
            while pending and self.done >= pending[0][0] * self.count:
                _, action = pending.pop(0)
                action()
            time.sleep(0.05)
        self.elapsed = time.monotonic() - started
        for _, action in pending:
            action()

    def _client(self, number: int) -> None:
        rng = random.Random(number)
        while next(self.sent) < self.count:
            kind = rng.choices(["report", "capture", "reaction", "button"], [3, 3, 2, 2])[0]
            try:
                self._one(kind, rng)
            finally:
                with self.results.lock:
                    self.done += 1
            if rng.random() < 0.2:
                self._refresh_known()

    def _refresh_known(self) -> None:
        messages = self.fake("snapshot")["messages"]
        known = []
        for channel, message in messages:
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            if key.endswith(":post"):
                known.append(("reaction", {**message, "channel": channel}))
            elif key.endswith(":owner"):
                known.append(("button", {**message, "channel": channel}))
        self.known = known

    def _one(self, kind: str, rng: random.Random) -> None:
        account = rng.choice(ACCOUNTS)
        if kind in ("reaction", "button"):
            targets = [message for what, message in self.known if what == kind]
            if not targets:
                kind = "report"
            else:
                message = rng.choice(targets)
        if kind == "report":
            url = self._url()
            reply = self._send(
                lambda r: r.slash_command(
                    f'account "{account}"',
                    user_id=AM,
                    channel_id=CHANNELS[account],
                    response_url=url,
                )
            )
            if reply is not None and reply.status == 200:
                with self.results.lock:
                    self.results.acked_commands.append(url)
        elif kind == "capture":
            text_ = f"Bench promise {next(self.capture_ids)}"
            view = self.views[account]
            owner = MEMBER if rng.random() < 0.7 else AM
            values = _state(view, [_row(text_, owner)])
            reply = self._send(lambda r: r.view_submission(view, user_id=AM, values=values))
            if reply is not None and reply.status == 200 and reply.body == b"":
                with self.results.lock:
                    self.results.acked_captures.append(text_)
        elif kind == "reaction":
            added = rng.random() < 0.7
            if not self.fake("react", message["channel"], message["ts"], added):
                added = self.fake("react", message["channel"], message["ts"], True)
            event = {
                "type": "reaction_added" if added else "reaction_removed",
                "user": AM,
                "reaction": "white_check_mark",
                "item": {"type": "message", "channel": message["channel"], "ts": message["ts"]},
                "item_user": BOT_USER_ID,
            }
            self._send(lambda r: r.event(event))
        else:
            url = self._url()
            self._send(
                lambda r: r.block_action(
                    "commitment_done",
                    user_id=MEMBER,
                    message=message,
                    channel_id=message["channel"],
                    response_url=url,
                )
            )
        with self.results.lock:
            self.results.by_kind[kind] += 1

    def _send(self, request: Callable[[SlackRequests], Any]) -> Any:
        """Send to a live instance; a refused connection moves the request to another one."""
        for attempt in range(3):
            instance = random.choice(self.alive)
            started = time.monotonic()
            try:
                reply = request(self._requests(instance))
            except OSError:
                with self.results.lock:
                    self.results.moved += 1
                    self.results.statuses["refused"] += 1 if attempt == 2 else 0
                continue
            with self.results.lock:
                self.results.latencies.append(time.monotonic() - started)
                self.results.statuses[str(reply.status)] += 1
            return reply
        return None


# --- the faults -----------------------------------------------------------------------------------


def kill_a_worker(instance: Instance, log: list[str]) -> None:
    victim = instance.workers()[0]
    os.kill(victim, signal.SIGKILL)
    log.append(f"killed worker {victim} of instance {instance.name} (SIGKILL)")


def slack_trouble(fake: FakeSlackProcess, log: list[str]) -> None:
    fake("fail_after_effect", "chat.postMessage", 6)
    fake("fail_next", "chat.postMessage", 429, 4, 1)
    fake("fail_next", "chat.postMessage", 500, 6, 0)
    fake("fail_next", "conversations.history", 500, 2, 0)
    fake("fail_next", "response_url", 500, 3, 0)
    log.append("Slack: 6 posts stored then answered 500, 4 × 429, 6 × 500, history and URLs 500")


def kill_instance(load: Load, instance: Instance, log: list[str]) -> None:
    load.alive = [other for other in load.alive if other is not instance]
    instance.kill_whole()
    log.append(f"killed instance {instance.name}: master and workers (SIGKILL)")


# --- after the load: the schedulers' repair, then the accounting ----------------------------------


def wait_quiet(fake: FakeSlackProcess) -> None:
    """Until Slack has heard nothing new for a few seconds: the answers after the acks are done."""
    last, since = fake("call_count"), time.monotonic()
    while time.monotonic() - since < QUIET_SECONDS:
        time.sleep(0.5)
        now = fake("call_count")
        if now != last:
            last, since = now, time.monotonic()


def repair_ticks(env: dict[str, str], directory: Path, at: datetime) -> dict[str, str]:
    """Both instances' schedulers tick at the same moment (`voc tick --now`)."""
    moment = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "tick", "--now", moment],
            env=env,
            cwd=directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for name in ("A", "B")
    }
    return {name: process.communicate(timeout=300)[0] for name, process in running.items()}


def tick_summary(out: str) -> str:
    outcomes: Counter[str] = Counter()
    for line in out.splitlines():
        line = line.strip()
        if ":" in line and not line.startswith("tick at"):
            outcome, what = line.split(":", 1)
            outcomes[f"{outcome} {what.split()[0] if what.split() else ''}"] += 1
    return ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing due"


def account(runtime: Runtime, fake: FakeSlackProcess, results: Results) -> dict[str, Any]:
    snapshot = fake("snapshot")
    with runtime.sessions() as session:
        commitments = list(session.scalars(select(Commitment)))
        audits = session.execute(
            select(AuditEntry.action, AuditEntry.entity_id, AuditEntry.details).where(
                AuditEntry.entity == "commitment"
            )
        ).all()
        owed_left = Counter(
            session.scalars(select(Delivery.kind).where(Delivery.status.in_(("failed", "claimed"))))
        )
    texts = Counter(row.text for row in commitments)
    tagged: Counter[tuple[str, str]] = Counter()
    for channel, message in snapshot["messages"]:
        key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key")
        if key:
            tagged[(channel, key)] += 1
    keys = {key for _, key in tagged}
    audit_keys = Counter(
        (action, entity_id, json.dumps((details or {}).get("version")))
        for action, entity_id, details in audits
    )
    posted = {c.id for c in commitments if c.message_ts and f"commitment:{c.id}:post" in keys}
    dm_owed = [c for c in commitments if c.owner != c.created_by]
    answered = snapshot["responses"]
    return {
        "commitments recorded twice": sum(n - 1 for n in texts.values() if n > 1),
        "messages posted twice": sum(n - 1 for n in tagged.values() if n > 1),
        "audit entries doubled": sum(n - 1 for n in audit_keys.values() if n > 1),
        "acknowledged captures not stored": len(set(results.acked_captures) - set(texts)),
        "stored commitments never posted": len(commitments) - len(posted),
        "owners never told": sum(f"commitment:{c.id}:owner" not in keys for c in dm_owed),
        "acknowledged commands never answered": sum(
            answered.get(url, 0) == 0 for url in results.acked_commands
        ),
        "_owed": dict(owed_left),
        "_lost": sorted(set(results.acked_captures) - set(texts)),
        "_commitments": len(commitments),
        "_invalid": len(snapshot["invalid"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()
    fake = FakeSlackProcess()
    instances: list[Instance] = []
    try:
        with bench_schema(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            runtime = runtime_for(url)
            seed(runtime)
            env = instance_env(url, fake.api_url)
            instances = [serve("A", env, directory), serve("B", env, directory)]
            run(args, fake, instances, runtime, env, directory)
            runtime.engine.dispose()
    finally:
        for instance in instances:
            if instance.process.poll() is None:
                instance.process.terminate()
                instance.process.wait(30)
        fake.stop()


def run(
    args: argparse.Namespace,
    fake: FakeSlackProcess,
    instances: list[Instance],
    runtime: Runtime,
    env: dict[str, str],
    directory: Path,
) -> None:
    a, b = instances
    events: list[str] = []
    load = Load(fake, instances, args.requests)
    print(
        f"{args.requests} requests from {args.threads} threads to 2 instances × 2 workers "
        "on one PostgreSQL; the fake Slack in its own process"
    )
    load.run(
        args.threads,
        {
            0.25: lambda: kill_a_worker(a, events),
            0.30: lambda: slack_trouble(fake, events),
            0.60: lambda: kill_instance(load, b, events),
        },
    )
    results = load.results
    for line in events:
        print(f"  fault: {line}")
    latencies = sorted(results.latencies)
    non_2xx = sum(n for status, n in results.statuses.items() if not status.startswith("2"))
    print(
        f"  requests {sum(results.statuses.values())} in {load.elapsed:.1f} s "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(results.by_kind.items()))}); "
        f"non-2xx {non_2xx} {dict(results.statuses)}; moved to the live instance {results.moved}"
    )
    print(
        f"  ack latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms"
    )
    wait_quiet(fake)
    before = account(runtime, fake, results)
    print("  before the schedulers' repair: " + _shown(before))
    now = datetime.now(UTC)
    for round_, later in enumerate((LATER_THAN_A_LEASE, 2 * LATER_THAN_A_LEASE), 1):
        ticks = repair_ticks(env, directory, now + later)
        for name, out in ticks.items():
            print(f"  repair tick {round_}, instance {name}'s scheduler: {tick_summary(out)}")
        wait_quiet(fake)
    after = account(runtime, fake, results)
    print("  after: " + _shown(after))
    duplicated = sum(
        after[k]
        for k in ("commitments recorded twice", "messages posted twice", "audit entries doubled")
    )
    lost = sum(
        after[k]
        for k in (
            "acknowledged captures not stored",
            "stored commitments never posted",
            "owners never told",
            "acknowledged commands never answered",
        )
    )
    print(f"duplicated effects: {duplicated}; lost effects: {lost}")


def _shown(figures: dict[str, Any]) -> str:
    shown = ", ".join(f"{name} {n}" for name, n in figures.items() if not name.startswith("_"))
    lost = f"; lost captures {figures['_lost']}" if figures["_lost"] else ""
    owed = ", ".join(f"{n} {kind}" for kind, n in sorted(figures["_owed"].items())) or "none"
    return f"{figures['_commitments']} commitments stored; {shown}; ledger rows owed: {owed}{lost}"


if __name__ == "__main__":
    main()
