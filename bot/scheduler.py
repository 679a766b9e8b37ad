"""The scheduled work: everything owed at a given moment, done once.

`run_due_work(runtime, now)` asks each job what is due at `now` and delivers it. Exactly-once is
not this module's business: every job delivers through the ledger, whose claim is the only gate,
so overlapping ticks, a restarted process or a second instance on the same database are all safe.
This module only decides *when* to look.

The job list is assembled here and only here (`default_jobs`): this module imports the features,
the features never import it. What a job is (`Job`, `DueItem`, `Delivered`) lives in
`bot.delivery.jobs`, which imports no feature.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot import metrics, retention
from bot.commitments import outbox, reactions
from bot.core.clock import utc_now
from bot.delivery import replies
from bot.delivery.jobs import DueItem, Job
from bot.digests import service as digests
from bot.followups import announce
from bot.portfolio import champion_news, lapse, leadership, monthly
from bot.reminders import bundle, escalations, followups
from bot.reminders.day import day_job
from bot.reminders.people import planning_without_slack
from bot.runtime import Runtime
from bot.slack_client import client_for_workspace
from storage.db import make_engine, session_factory

log = logging.getLogger(__name__)

TICK_INTERVAL = timedelta(minutes=2)

ClientFor = Callable[[str], WebClient | None]


@dataclass(frozen=True)
class Done:
    item: DueItem
    outcome: str
    detail: str | None = None

    def line(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.outcome}: {self.item.description}{detail}"

    @property
    def outcome_text(self) -> str:
        return f"{self.outcome} ({self.detail})" if self.detail else self.outcome


@dataclass
class TickReport:
    """What one tick did, or with `dry_run` would do, in the order it did it."""

    now: datetime
    dry_run: bool
    done: list[Done] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)  # dry run: workspaces without a token

    def count(self, outcome: str) -> int:
        return sum(entry.outcome == outcome for entry in self.done)

    @property
    def failed(self) -> bool:
        return self.count("failed") > 0

    def lines(self) -> list[str]:
        header = f"{'dry run' if self.dry_run else 'tick'} at {self.now.isoformat()}"
        if not self.done:
            return [f"{header}: nothing due"]
        return [f"{header}:", *(f"  {entry.line()}" for entry in self.done)]


# -- the jobs ------------------------------------------------------------------------------


def default_jobs() -> list[Job]:
    """Every kind of scheduled work, in the order a tick runs them."""
    return [
        Job("digest", digests.find_due, digests.deliver),
        Job(announce.JOB_NAME, announce.find_due, announce.deliver),
        Job(outbox.JOB_NAME, outbox.find_due, outbox.deliver),
        Job(replies.JOB_NAME, replies.find_due, replies.deliver),
        Job(champion_news.JOB_NAME, champion_news.find_due, champion_news.deliver),
        # The one DM of the day, carrying what other rooms owe people that day.
        day_job([monthly.plan_parts, lapse.plan_parts]),
        # A DM, so it goes as (or in) the person's one DM of the day: through the bundle.
        Job("escalation", escalations.find_due_escalations, bundle.deliver_escalation),
        Job("open_promises", escalations.find_due_summaries, escalations.deliver),
        Job(reactions.RECHECK_JOB, reactions.find_due_rechecks, reactions.recheck),
        Job("followup_late", followups.find_due_flags, followups.deliver_flag),
        Job(leadership.JOB, leadership.find_due, leadership.deliver),
        Job(retention.JOB, retention.find_due, retention.trim),
    ]


# -- one tick ------------------------------------------------------------------------------


@metrics.observed_tick  # inside the tick lock: no fork may copy a metrics lock mid-update
def run_due_work(
    runtime: Runtime,
    now: datetime,
    *,
    client_for: ClientFor | None = None,
    dry_run: bool = False,
    jobs: Sequence[Job] | None = None,
) -> TickReport:
    """Do what is due at `now` (or, with `dry_run`, list it and send nothing)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = TickReport(now=now, dry_run=dry_run)
    jobs = jobs if jobs is not None else default_jobs()
    if dry_run:
        with planning_without_slack() as unresolved:
            report.done = [
                Done(item, "would send") for job in jobs for item in job.find_due(runtime, now)
            ]
        report.unresolved = set(unresolved)
        return report
    clients = _ClientCache(client_for or (lambda ws: client_for_workspace(runtime, ws)))
    for job in jobs:
        for item in job.find_due(runtime, now):
            report.done.append(_run_one(runtime, job, item, clients, now))
    return report


@metrics.observed_item
def _run_one(
    runtime: Runtime, job: Job, item: DueItem, clients: _ClientCache, now: datetime
) -> Done:
    """One item; a crash in one never stops the others (its ledger row is retried later)."""
    client = clients.get(item.workspace_id)
    if client is None:
        return _logged(job, Done(item, "skipped", "no Slack token for this workspace"))
    try:
        result = job.deliver(runtime, client, item, now)
    except Exception as error:
        done = Done(item, "failed", f"{type(error).__name__}: {error}")
        log.exception("%s %s: %s", job.name, item.key, done.outcome_text)
        return done
    return _logged(job, Done(item, result.outcome, result.detail))


def _logged(job: Job, done: Done) -> Done:
    """One log line per delivery (kind, key, outcome): what went out, and when, for operators."""
    level = logging.WARNING if done.outcome == "failed" else logging.INFO
    log.log(level, "%s %s: %s", job.name, done.item.key, done.outcome_text)
    return done


class _ClientCache:
    """One client per workspace per tick: the installation store is read once, not per item."""

    def __init__(self, client_for: ClientFor) -> None:
        self.client_for = client_for
        self.clients: dict[str, WebClient | None] = {}

    def get(self, workspace_id: str) -> WebClient | None:
        if workspace_id not in self.clients:
            self.clients[workspace_id] = self.client_for(workspace_id)
        return self.clients[workspace_id]


# -- in-process scheduling -----------------------------------------------------------------


class BackgroundScheduler(threading.Thread):
    """Ticks every `interval` until stopped; a daemon, so it never keeps the process alive.

    The real clock is read here and only here: the work itself is always handed `now`.

    It uses its own engine and holds `tick_lock` for the length of a tick, and the process's
    fork hooks take that lock: gunicorn forks workers from the process running this thread,
    and a database connection must never be copied into a child mid-transaction.
    """

    def __init__(
        self,
        runtime: Runtime,
        interval: timedelta = TICK_INTERVAL,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(name="voc-scheduler", daemon=True)
        self.runtime = runtime
        self.interval = interval
        self.clock = clock or utc_now
        self.stopping = threading.Event()
        # Reentrant: a fork from inside a tick (the scheduler's own thread) must not deadlock.
        self.tick_lock = threading.RLock()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.tick_once()
            self.stopping.wait(self.interval.total_seconds())

    def tick_once(self) -> TickReport | None:
        with self.tick_lock:
            try:
                return run_due_work(self.runtime, self.clock())  # logs each delivery itself
            except Exception:  # the database may be briefly away; the next tick tries again
                log.exception("scheduled tick failed")
                return None

    def stop(self, timeout: float | None = 10) -> None:
        self.stopping.set()
        self.join(timeout)


_started: BackgroundScheduler | None = None
_start_lock = threading.Lock()


def start_background_scheduler(
    runtime: Runtime, interval: timedelta = TICK_INTERVAL
) -> BackgroundScheduler:
    """Start the process's one scheduler thread (a second call returns the same thread).

    Several processes running one each is safe (the ledger decides), merely wasteful.
    """
    global _started
    with _start_lock:
        if _started is not None and _started.is_alive():
            return _started
        scheduler = BackgroundScheduler(_own_runtime(runtime), interval)
        _protect_from_fork(scheduler)
        scheduler.start()
        _started = scheduler
        return scheduler


def _own_runtime(runtime: Runtime) -> Runtime:
    """A separate engine, so the web workers' pool and the scheduler never share connections."""
    engine = make_engine(runtime.settings.database_url, concurrency=2)  # a tick, and one spare
    return Runtime(settings=runtime.settings, engine=engine, sessions=session_factory(engine))


def _protect_from_fork(scheduler: BackgroundScheduler) -> None:
    """Forks wait for a running tick; a child forgets the scheduler's pooled connections."""
    engine = scheduler.runtime.engine

    def in_child() -> None:
        engine.dispose(close=False)  # the parent still owns those sockets
        scheduler.tick_lock.release()

    os.register_at_fork(
        before=scheduler.tick_lock.acquire,
        after_in_parent=scheduler.tick_lock.release,
        after_in_child=in_child,
    )
