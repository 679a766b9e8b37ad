"""What `GET /metrics` reports, in Prometheus' text format: every metric is defined here.

The few places that feed them call in here and nowhere else: the web layer for Slack requests
(`record_request`), `post_once` for keyed messages (`observed_delivery`), the scheduler for its
ticks and scheduled items (`observed_tick`, `observed_item`, both inside the tick lock), the
intake service for imported rows (`count_import_rows`). The ledger backlog is not counted as
it changes but read from the database at each scrape, so every instance reports the same
true figure.

`voc serve` runs several worker processes and the scheduler in their parent. Each keeps its
own counts, so `share_between_processes` (called by `voc serve` before the workers fork) puts
them in files in one directory, prometheus_client's multiprocess mode, and a scrape answered
by any worker sums every process of the instance. Counts of a worker that exited stay in the
sum, as counters must; its live gauges (none today) are dropped by `process_exited`.

The `observed_*` decorators also set the log key (`bot.core.log_keys`) for the work they wrap,
so a delivery's log lines carry its key wherever they are logged from.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.core.log_keys import keyed
from storage import failures
from storage.operations import backlog

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
_OWN = CollectorRegistry(auto_describe=True)
# Slack wants its ack within 3 s; the buckets put their edges around that.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
TICK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

REQUESTS = Counter(
    "voc_slack_requests",
    "Requests to /slack/events answered, by kind and HTTP status (200 is an ack)",
    ["kind", "status"],
    registry=_OWN,
)
ACK_SECONDS = Histogram(
    "voc_slack_ack_seconds",
    "Seconds from a Slack request's arrival to its answer, by kind",
    ["kind"],
    buckets=ACK_BUCKETS,
    registry=_OWN,
)
DELIVERIES = Counter(
    "voc_deliveries",
    "Keyed messages through the delivery ledger (post_once), by kind and outcome",
    ["kind", "outcome"],
    registry=_OWN,
)
SCHEDULED = Counter(
    "voc_scheduled_items",
    "Items the scheduler worked on, by job and outcome",
    ["job", "outcome"],
    registry=_OWN,
)
TICKS = Counter(
    "voc_scheduler_ticks", "Scheduler ticks, by result (ok, failed)", ["result"], registry=_OWN
)
TICK_SECONDS = Histogram(
    "voc_scheduler_tick_seconds",
    "Seconds one scheduler tick took, by result",
    ["result"],
    buckets=TICK_BUCKETS,
    registry=_OWN,
)
IMPORT_ROWS = Counter(
    "voc_import_rows",
    "Rows of imports that were committed, by kind (accounts, responses)",
    ["kind"],
    registry=_OWN,
)

# post_once's `skipped` covers three different things an operator tells apart.
_SKIPPED_DETAILS = {
    "no longer owed": "cancelled",
    "already sent or being sent": "taken_elsewhere",
    "nothing to say now": "nothing_to_say",
}
_OUTCOMES = {"sent": "sent", "found": "found_earlier", "failed": "failed"}

P = ParamSpec("P")
R = TypeVar("R")


# -- several processes -----------------------------------------------------------------------


def share_between_processes(directory: str) -> None:
    """Keep this process's and its children's counts in `directory` (multiprocess mode).

    prometheus_client picks its storage from the environment when it is imported; the choice
    is made again here, which is enough because every metric has labels and creates its
    storage at first use, after this call.
    """
    os.environ[MULTIPROCESS_ENV] = directory
    values.ValueClass = values.get_value_class()


def process_exited(pid: int) -> None:
    """gunicorn's `child_exit`: drop the live gauges of a worker that is gone."""
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.mark_process_dead(pid)


# -- feeding them ------------------------------------------------------------------------------


def record_request(kind: str, status: int, seconds: float) -> None:
    REQUESTS.labels(kind, str(status)).inc()
    ACK_SECONDS.labels(kind).observe(seconds)


def delivery_outcome(outcome: str, detail: str) -> str:
    if outcome == "skipped":
        return _SKIPPED_DETAILS.get(detail, "skipped")
    return _OUTCOMES.get(outcome, outcome)


def observed_delivery(post_once: Callable[P, R]) -> Callable[P, R]:
    """Count each `post_once` by its delivery's kind and outcome, logging under its key."""

    @functools.wraps(post_once)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        delivery: Any = kwargs.get("delivery", args[2] if len(args) > 2 else None)
        kind = getattr(delivery, "kind", "unknown")
        with keyed(getattr(delivery, "key", None)):
            try:
                posted = post_once(*args, **kwargs)
            except Exception:
                DELIVERIES.labels(kind, "error").inc()
                raise
        DELIVERIES.labels(
            kind, delivery_outcome(getattr(posted, "outcome", ""), getattr(posted, "detail", ""))
        ).inc()
        return posted

    return counted


def observed_item(run_one: Callable[P, R]) -> Callable[P, R]:
    """Count each scheduled item by job and outcome, logging under the item's key.

    Wraps the scheduler's `_run_one(runtime, job, item, …)`, whose result has `.outcome`.
    """

    @functools.wraps(run_one)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        job: Any = args[1] if len(args) > 1 else kwargs.get("job")
        item: Any = args[2] if len(args) > 2 else kwargs.get("item")
        with keyed(getattr(item, "key", None)):
            done = run_one(*args, **kwargs)
        SCHEDULED.labels(getattr(job, "name", "unknown"), getattr(done, "outcome", "")).inc()
        return done

    return counted


def observed_tick(tick: Callable[P, R]) -> Callable[P, R]:
    """Count and time each tick (`run_due_work`); one that raised is `failed`.

    In `voc serve` the scheduler runs in gunicorn's parent, which forks workers: its counts
    must be updated while the scheduler holds its tick lock, which forks wait for, or a worker
    could be born with prometheus_client's lock held and hang at its first count.
    """

    @functools.wraps(tick)
    def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        started = time.perf_counter()
        result = "failed"
        try:
            report = tick(*args, **kwargs)
            result = "ok"
            return report
        finally:
            TICKS.labels(result).inc()
            TICK_SECONDS.labels(result).observe(time.perf_counter() - started)

    return timed


def count_import_rows(session: Session, kind: str, rows: int) -> None:
    """Count an import's rows when its transaction commits: a preview, rolled back, is not."""
    settled = False

    def committed(_session: Session) -> None:
        nonlocal settled
        if not settled:
            settled = True
            IMPORT_ROWS.labels(kind).inc(rows)

    def rolled_back(_session: Session) -> None:
        nonlocal settled
        settled = True

    event.listen(session, "after_commit", committed, once=True)
    event.listen(session, "after_rollback", rolled_back, once=True)


# -- serving them ------------------------------------------------------------------------------


def exposition(runtime: Runtime) -> bytes:
    """Every metric in the text format: this process's, or with several the instance's sum."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Own())
    registry.register(_Backlog(runtime))
    return generate_latest(registry)


class _Own(Collector):
    """This process's metrics, when there is no shared directory (`voc run`, tests)."""

    def collect(self) -> Iterator[Any]:
        yield from _OWN.collect()


class _Backlog(Collector):
    """`voc_ledger_backlog{state}`: undelivered messages, counted in the database at scrape."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            with self.runtime.sessions() as session:
                counts = backlog(session)
        except failures.FAILURES as error:  # a scrape reports what it can; /readyz says why
            log.warning("ledger backlog not read: %s", failures.driver_message(error))
            return
        family = GaugeMetricFamily(
            "voc_ledger_backlog",
            "Messages in the delivery ledger not delivered yet: owed (new or failed), sending",
            labels=["state"],
        )
        for state, count in sorted(counts.items()):
            family.add_metric([state], count)
        yield family
