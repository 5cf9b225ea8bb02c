"""SQLModel tables. Schema changes go through Alembic migrations in ``migrations/``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, UniqueConstraint, text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store as UTC."""
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Inquiry(SQLModel, table=True):
    """One message a user sent and what the bot made of it."""

    __tablename__ = "inquiry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    channel: str = Field(max_length=16, index=True)
    user_key: str = Field(max_length=64, index=True)  # pseudonym, never the raw channel id
    kind: str = Field(max_length=16)  # faq | not_sure | out_of_scope | smalltalk | command | ...
    text: str | None = Field(default=None, max_length=4000)  # raw text; removed by retention
    normalized: str | None = Field(default=None, max_length=4000)
    entry_id: str | None = Field(default=None, max_length=64, index=True)
    score: float | None = None
    confident: bool = False
    feedback: int | None = None  # +1 / -1
    # names the inquiry on its 👍/👎 buttons (constraint uq_inquiry_ref, migration 0005)
    ref: str | None = Field(default=None, max_length=16, unique=True)
    review: str | None = Field(default=None, max_length=16)  # ignored | attached | drafted
    # the second-best entry and the score gap to it (close ones are sampled for a staff check)
    runner_up: str | None = Field(default=None, max_length=64)
    margin: float | None = None
    verdict: bool | None = None  # a staff check of a confident answer: right (True) or wrong
    verdict_by: str | None = Field(default=None, max_length=64)


class DialogState(SQLModel, table=True):
    """The questionnaire a user is in, with a version for optimistic concurrency."""

    __tablename__ = "dialog_state"

    user_key: str = Field(primary_key=True, max_length=64)
    flow_id: str = Field(max_length=48)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    version: int = 1


class Assessment(SQLModel, table=True):
    """A finished questionnaire: who (pseudonym), when, answers and outcome."""

    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    channel: str = Field(max_length=16)
    user_key: str = Field(max_length=64, index=True)
    flow_id: str = Field(max_length=48, index=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    outcome: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


INBOX_HELD = "status = 'pending' AND owner IS NOT NULL"


class InboxRow(SQLModel, table=True):
    """An update a platform delivered, committed before the webhook answers 200; worked off in
    order per chat by whichever process claims it (``owner`` until ``lease_until``)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "dedupe", name="uq_inbox_dedupe"),
        Index("ix_inbox_chat", "channel", "chat", "status", "seq"),
        Index("ix_inbox_due", "status", "not_before"),
        Index(  # one held row per chat (migration 0012)
            "uq_inbox_held",
            "channel",
            "chat",
            unique=True,
            sqlite_where=text(INBOX_HELD),
            postgresql_where=text(INBOX_HELD),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    dedupe: str = Field(max_length=64)  # the platform's id of the update (retries repeat it)
    chat: str = Field(max_length=64)  # raw id: where replies go, and the ordering key
    seq: int = Field(default=0, sa_type=BigInteger)  # the platform's order (update_id, time)
    status: str = Field(default="pending", max_length=16)  # pending | done | quarantined
    message: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    context: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    replies: list[Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    sent: int = 0  # replies already sent
    owner: str | None = Field(default=None, max_length=32)
    lease_until: float = 0.0  # unix seconds
    not_before: float = 0.0  # unix seconds (retry backoff)
    attempts: int = 0  # failures counted toward quarantine
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


class Quarantine(SQLModel, table=True):
    """Something that kept failing and was set aside so it blocks nothing: shown to staff.
    ``data`` is ASCII JSON, so text no database would store is kept as escapes."""

    __tablename__ = "quarantine"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    source: str = Field(max_length=16)  # inquiry | inbox
    channel: str = Field(default="", max_length=16)
    user_key: str | None = Field(default=None, max_length=64, index=True)  # pseudonym
    chat: str | None = Field(default=None, max_length=64)  # raw id (inbox items)
    reason: str = Field(max_length=200)
    data: str = Field(default="", max_length=20000)


class Contact(SQLModel, table=True):
    """A reachable chat on a channel (needed to send); ``active`` is false once blocked."""

    __tablename__ = "contact"

    channel: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)  # raw id, kept only to reply/notify
    active: bool = True
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ZaloToken(SQLModel, table=True):
    """The current Zalo OA token pair (one row), rotated by refresh; ``version`` guards updates."""

    __tablename__ = "zalo_token"

    id: int = Field(default=1, primary_key=True)
    access_token: str = Field(max_length=2048)
    refresh_token: str = Field(max_length=2048)
    expires_at: float = 0.0  # unix seconds
    version: int = 1
    refreshing_until: float = 0.0  # a worker holds the right to refresh until then


class StaffUser(SQLModel, table=True):
    """A staff web account; ``role`` is staff, officer or admin; argon2 ``password_hash``."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class StaffSession(SQLModel, table=True):
    """A signed-in browser; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    csrf: str = Field(max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins per account name and per client address, shared by every worker."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=128)
    failures: int = 0
    window_start: float = 0.0  # unix seconds
    locked_until: float = 0.0


class ExtraPhrasing(SQLModel, table=True):
    """A user question staff attached to an entry; merged into retrieval until exported."""

    __tablename__ = "extra_phrasing"

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(max_length=64, index=True)
    text: str = Field(max_length=500)
    created_by: str = Field(max_length=64)
    # pseudonyms of the users whose question this is (erasure and retention find it by them)
    user_keys: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # when ``coopbot kb merge-phrasings`` wrote it into knowledge/faq (then no longer pending)
    merged_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class DraftEntry(SQLModel, table=True):
    """A new FAQ entry drafted from the review queue, waiting for curation into knowledge/."""

    __tablename__ = "draft_entry"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    questions: list[str] = Field(sa_column=Column(JSON, nullable=False))
    answer: str = Field(default="", max_length=4000)
    sources: str = Field(default="", max_length=500)
    created_by: str = Field(max_length=64)
    user_keys: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Subscriber(SQLModel, table=True):
    """Someone who asked for announcements: where to send (raw id, as in ``contact``), the
    pseudonym that joins ``inquiry.user_key``, their province and topics."""

    __tablename__ = "subscriber"

    channel: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)  # raw id, kept only to send
    user_key: str = Field(max_length=64, index=True)  # the core's pseudonym
    province: str | None = Field(default=None, max_length=24, index=True)  # audience.yaml id
    topics: str = Field(default="", max_length=500)  # ",id,id," ; "" means every topic
    subscribed: bool = Field(default=False, index=True)  # false while choosing, or stopped
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class Broadcast(SQLModel, table=True):
    """An announcement: text, audience filters, schedule; ``state`` draft, queued or cancelled."""

    __tablename__ = "broadcast"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    created_by: str = Field(max_length=64)
    text: str = Field(max_length=4000)
    channel: str | None = Field(default=None, max_length=16)
    province: str | None = Field(default=None, max_length=24)
    topic: str | None = Field(default=None, max_length=24)
    state: str = Field(default="draft", max_length=16, index=True)
    scheduled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    queued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    total: int = 0


class Delivery(SQLModel, table=True):
    """One recipient of one broadcast; a worker claims it with a lease before sending."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "channel", "chat_id", name="uq_delivery_recipient"),
        Index("ix_delivery_claim", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(foreign_key="broadcast.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)  # raw id, copied from subscriber to send
    status: str = Field(default="pending", max_length=16)  # pending|sent|failed|blocked|cancelled
    due_at: float = 0.0  # unix seconds: not before (schedule, retry backoff)
    lease_until: float = 0.0  # unix seconds: claimed by ``claim`` until then
    claim: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    error: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WorkerPresence(SQLModel, table=True):
    """A running process that sends on a channel; live ones share the channel's send limit."""

    __tablename__ = "worker_presence"

    id: str = Field(primary_key=True, max_length=32)  # random per process
    channel: str = Field(max_length=16, index=True)
    seen_at: float = 0.0  # unix seconds of the last heartbeat


class ChatContext(SQLModel, table=True):
    """Per-chat reply context every worker needs: the message to reply to inside Zalo's free
    48-hour window, and the payloads of the numbered options last shown."""

    __tablename__ = "chat_context"

    channel: str = Field(primary_key=True, max_length=16)
    chat_id: str = Field(primary_key=True, max_length=64)  # raw id, as in ``contact``
    reply_msg_id: str | None = Field(default=None, max_length=64)
    reply_at: float = 0.0  # unix seconds of that message
    options: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
