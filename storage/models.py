"""The tables, as SQLAlchemy 2.0 typed models.

Every top-level record carries `workspace_id`: one database can serve several Slack workspaces
(OAuth installs) without one team ever seeing another's accounts. Uniqueness that protects people
from doubled effects (imports, reactions, digests, reminders) lives here as constraints, because a
constraint holds across retries, restarts and several bot instances where an in-memory flag cannot.

No `from __future__ import annotations` here: with it every `Mapped[...]` is a string the mapping
evaluates again, column by column, on every start of every command.
"""

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.core.clock import utc_now

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always handed back timezone-aware.

    SQLite drops the offset, PostgreSQL keeps it; this makes both return the same aware value so
    rendering in a reader's timezone never guesses.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(100), default="Unsegmented")
    tier: Mapped[str] = mapped_column(String(20), default="standard")
    annual_revenue: Mapped[float | None] = mapped_column(Float)
    account_manager: Mapped[str | None] = mapped_column(String(320))
    exec_sponsor: Mapped[str | None] = mapped_column(String(320))
    team: Mapped[list[str]] = mapped_column(default=list)
    channel: Mapped[str | None] = mapped_column(String(100))
    # What `channel` resolved to in Slack; only this ID is trusted for access and posting.
    channel_id: Mapped[str | None] = mapped_column(String(32))
    cadence: Mapped[str] = mapped_column(String(20), default="quarterly")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    respondents: Mapped[list["Respondent"]] = relationship(back_populates="account")


class Cycle(Base):
    """A feedback wave (survey or interview round), shared by every account of a workspace."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("workspace_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), index=True)
    label: Mapped[str] = mapped_column(String(50))
    starts_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Respondent(Base):
    """A person at a customer account, followed across cycles by email (or name)."""

    __tablename__ = "respondents"
    __table_args__ = (UniqueConstraint("account_id", "person_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    person_key: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))

    account: Mapped[Account] = relationship(back_populates="respondents")


class Response(Base):
    """One person's answers in one cycle; title and role are as they were at that time."""

    __tablename__ = "responses"
    __table_args__ = (
        UniqueConstraint("respondent_id", "cycle_id"),
        Index("ix_responses_account_cycle", "account_id", "cycle_id"),
        Index("ix_responses_cycle", "cycle_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(30))
    satisfaction: Mapped[float] = mapped_column(Float)
    recommend: Mapped[float | None] = mapped_column(Float)
    continue_score: Mapped[float | None] = mapped_column(Float)
    ratings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="survey")
    responded_on: Mapped[date | None] = mapped_column(Date)
    # The comment's themes ("Support|Onboarding", or "other") and tone, tagged at import.
    themes: Mapped[str | None] = mapped_column(Text)
    tone: Mapped[str | None] = mapped_column(String(10))


class Benchmark(Base):
    """Per-cycle figures of a segment or of all customers, computed when data arrives.

    Sums and counts are kept beside the derived figures so a report never rescans responses.
    """

    __tablename__ = "benchmarks"
    __table_args__ = (UniqueConstraint("workspace_id", "cycle_id", "scope", "segment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(10))  # "segment" or "all"
    segment: Mapped[str] = mapped_column(String(100), default="")
    respondents: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)
    recommend_answered: Mapped[int] = mapped_column(Integer)
    satisfaction_sum: Mapped[float] = mapped_column(Float)
    satisfaction_mean: Mapped[float | None] = mapped_column(Float)
    nps: Mapped[float | None] = mapped_column(Float)
    attribute_means: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class DriverStatistic(Base):
    """Sufficient statistics for the key drivers of one (cycle, scope, segment), per answer pattern.

    `pattern` is the set of attributes a group of respondents answered (names joined by "|");
    over those respondents `n`, the `sums` and the `cross_products` of (satisfaction, *attributes)
    are kept. Which attributes a driver analysis uses depends on the scope, and any choice is the
    sum of the patterns that contain it, so drivers never rescan responses.
    """

    __tablename__ = "driver_statistics"
    __table_args__ = (UniqueConstraint("workspace_id", "cycle_id", "scope", "segment", "pattern"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(10))  # "segment" or "all"
    segment: Mapped[str] = mapped_column(String(100), default="")
    pattern: Mapped[str] = mapped_column(String(1000))
    attributes: Mapped[list[str]] = mapped_column(default=list)
    n: Mapped[int] = mapped_column(Integer)
    sums: Mapped[list[float]] = mapped_column(JSON, default=list)
    cross_products: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class AccountFigures(Base):
    """One account's figures in one cycle, computed when its responses arrive or change.

    The headline (counts and sums beside the derived NPS and mean, as benchmarks keep them),
    the attribute means, the people table in the order a report lists it, and what changed since
    the account's cycle before (`previous_cycle_id`): band moves, people who did not answer
    again (`changes`), champion changes and decision makers' loyalty moves (`champions`). A
    report and the portfolio read
    these rows and never rescan responses.
    """

    __tablename__ = "account_figures"
    __table_args__ = (UniqueConstraint("account_id", "cycle_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    respondents: Mapped[int] = mapped_column(Integer)
    promoters: Mapped[int] = mapped_column(Integer)
    detractors: Mapped[int] = mapped_column(Integer)
    recommend_answered: Mapped[int] = mapped_column(Integer)
    satisfaction_sum: Mapped[float] = mapped_column(Float)
    satisfaction_mean: Mapped[float | None] = mapped_column(Float)
    nps: Mapped[float | None] = mapped_column(Float)
    # Whether a decision maker is high risk / trapped: the executive view's risk reasons.
    decision_maker_high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_maker_trapped: Mapped[bool] = mapped_column(Boolean, default=False)
    attribute_means: Mapped[dict[str, Any]] = mapped_column(default=dict)
    people: Mapped[dict[str, list[Any]]] = mapped_column(JSON, default=dict)  # by column
    previous_cycle_id: Mapped[int | None] = mapped_column(Integer)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Champion changes and decision makers' loyalty moves: apart, since the portfolio reads them
    # for every account and the rest of `changes` only for the report.
    champions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utc_now)


class Meeting(Base):
    """A customer review meeting; its digest is owed once, before `starts_at`."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_digest_due", "status", "digest_due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    created_by: Mapped[str | None] = mapped_column(String(320))
    digest_due_at: Mapped[datetime | None]
    digest_posted_at: Mapped[datetime | None]
    digest_ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class MeetingAttendee(Base):
    """Someone at a review meeting, as the roster names people (a Slack ID or an email):
    what tells whether a sponsor took part in their accounts' reviews."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    person: Mapped[str] = mapped_column(String(320))


class Commitment(Base):
    """A promise made to the customer, with an owner, a due date and the function that acts."""

    __tablename__ = "commitments"
    __table_args__ = (
        UniqueConstraint("channel", "message_ts"),
        Index("ix_commitments_open", "workspace_id", "status", "due_on"),
        Index("ix_commitments_account", "account_id", "status"),
        Index("ix_commitments_followup", "followup_id"),
        # A person's open commitments (App Home, `voc open --owner`) in any workspace size: the
        # owner as compared, emails in any case (`bot.commitments.queries.open_commitments`).
        Index("ix_commitments_owner_key", "workspace_id", text("lower(owner)"), "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    # The follow-up this promise answers: when every linked commitment is done, it is closed.
    followup_id: Mapped[int | None] = mapped_column(ForeignKey("followups.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(320))
    due_on: Mapped[date | None] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(30), default="account_team")
    status: Mapped[str] = mapped_column(String(20), default="open")
    customer_told: Mapped[bool] = mapped_column(Boolean, default=False)
    answers: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    done_by: Mapped[str | None] = mapped_column(String(320))
    done_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(100))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    snoozed_until: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class Followup(Base):
    """Getting back to one person whose answers call for it, once per person and cycle.

    The unique (respondent, cycle) pair is what keeps a re-import, or two imports racing, from
    opening a second follow-up for the same person: inserts do nothing on conflict.
    """

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("respondent_id", "cycle_id"),
        Index("ix_followups_open", "workspace_id", "status", "due_at"),
        Index("ix_followups_account", "workspace_id", "account_id", "status", "due_at"),
        Index("ix_followups_owner", "workspace_id", "owner", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id", ondelete="CASCADE"))
    reasons: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    owner: Mapped[str | None] = mapped_column(String(320))
    opened_at: Mapped[datetime] = mapped_column(default=utc_now)
    due_at: Mapped[datetime]
    contacted_at: Mapped[datetime | None]
    contact_method: Mapped[str | None] = mapped_column(String(30))
    closed_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class AuditEntry(Base):
    """Who changed what, when: imports, commitments, meetings, sponsors."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utc_now)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OwedReply(Base):
    """A `/voc` answer promised after the ack: where it goes while Slack keeps the URL valid.

    Its ledger row (same key, kind `command_reply`) says whether it was sent; this row says to
    whom and through which `response_url`, so a scheduler can tell the requester when the
    process that was answering died.
    """

    __tablename__ = "owed_replies"
    __table_args__ = (UniqueConstraint("workspace_id", "delivery_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    delivery_key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(32))
    command: Mapped[str] = mapped_column(String(300))
    response_url: Mapped[str | None] = mapped_column(String(1000))
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ProcessedEvent(Base):
    """Slack deliveries already acted on: a retried event finds its key here and does nothing."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("workspace_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(default=utc_now)


class Delivery(Base):
    """The ledger of messages people receive (digests, reminders, escalations).

    A row is claimed before sending and marked sent after; its unique key makes a second claim of
    the same message impossible, whichever process or tick tries it.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "delivery_key"),
        Index("ix_deliveries_status", "status", "lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(32))
    delivery_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="claimed")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(100))
    message_ts: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SlackPerson(Base):
    """Slack's people as the last `users.list` of the workspace listed them, with when.

    Planning a tick needs every owner's timezone; one `users.info` per owner is thousands of
    calls, a paged `users.list` a handful. Rows older than the directory's refresh age are not
    trusted (`bot.people`), and a person missing here is asked about one by one, as before.
    """

    __tablename__ = "slack_people"
    __table_args__ = (Index("ix_slack_people_email", "workspace_id", "email"),)

    workspace_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(320))  # lower-cased
    tz: Mapped[str | None] = mapped_column(String(64))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    refreshed_at: Mapped[datetime]
