"""Staff services on SQLite and PostgreSQL: accounts, dashboard figures, review grouping."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import SQLModel

from coopbot.admin.accounts import SESSION_TTL, Accounts, Role
from coopbot.admin.dashboard import Dashboard
from coopbot.admin.review import Item, group_items
from coopbot.admin.throttle import LOCKOUT, MAX_FAILURES, SignInThrottle
from coopbot.errors import InputError
from coopbot.knowledge import KnowledgeBase
from coopbot.storage.db import make_engine, session_factory
from coopbot.storage.migrate import upgrade_async
from coopbot.storage.tables import Assessment, Inquiry, Subscriber

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)  # 12:00 in Vietnam


async def _engine(url: str):  # type: ignore[no-untyped-def]
    await upgrade_async(url)
    return make_engine(url)


async def _add(engine, *rows: SQLModel) -> None:  # type: ignore[no-untyped-def]
    async with session_factory(engine)() as s:
        s.add_all(rows)
        await s.commit()


async def test_accounts_sessions_expire_and_names_are_unique(database_url: str) -> None:
    engine = await _engine(database_url)
    clock = [NOW.timestamp()]
    accounts = Accounts(engine, clock=lambda: clock[0])
    staff = await accounts.create_user("  Chi ", Role.STAFF, "mat-khau-dai-123")
    assert staff.name == "chi" and staff.role is Role.STAFF
    with pytest.raises(InputError, match="already taken"):
        await accounts.create_user("chi", Role.ADMIN, "mat-khau-dai-123")
    with pytest.raises(InputError, match="at least 10"):
        await accounts.create_user("dung", Role.ADMIN, "ngan")
    assert await accounts.authenticate("chi", "sai-mat-khau") is None
    assert await accounts.authenticate("ai-do", "mat-khau-dai-123") is None
    assert await accounts.authenticate("CHI", "mat-khau-dai-123") == staff
    token, csrf = await accounts.open_session(staff)
    info = await accounts.session(token)
    assert info is not None and info.csrf == csrf and info.staff == staff
    clock[0] += SESSION_TTL.total_seconds() + 1
    assert await accounts.session(token) is None
    await engine.dispose()


async def test_throttle_locks_then_releases(database_url: str) -> None:
    engine = await _engine(database_url)
    clock = [NOW.timestamp()]
    throttle = SignInThrottle(engine, clock=lambda: clock[0])
    keys = ["name:chi", "ip:10.0.0.1"]
    for _ in range(5):
        assert await throttle.attempt(keys) == 0
    assert await throttle.attempt(keys) > 0  # the sixth within the window is not checked
    assert await throttle.attempt(["ip:10.0.0.1", "name:an"]) == 0  # an office address allows more
    clock[0] += LOCKOUT + 1
    assert await throttle.attempt(keys) == 0
    await throttle.succeeded(keys)
    for _ in range(5):
        assert await throttle.attempt(keys) == 0  # a good password cleared the account's count
    await engine.dispose()


async def test_parallel_attempts_cannot_slip_under_the_limit(database_url: str) -> None:
    engine = await _engine(database_url)
    throttle = SignInThrottle(engine)
    waits = await asyncio.gather(*(throttle.attempt(["name:an", "ip:1.2.3.4"]) for _ in range(60)))
    assert sum(1 for w in waits if w == 0) == MAX_FAILURES  # the rest wait, unverified
    await engine.dispose()


async def test_dashboard_counts_by_vietnam_day(database_url: str, kb: KnowledgeBase) -> None:
    engine = await _engine(database_url)
    late = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # 01:30 on 24/11 in Vietnam
    await _add(
        engine,
        Inquiry(channel="zalo", user_key="a", kind="faq", entry_id="e1", confident=True,
                feedback=1, created_at=late),
        Inquiry(channel="zalo", user_key="a", kind="faq", entry_id="e1", confident=True,
                feedback=-1, created_at=NOW),
        Inquiry(channel="telegram", user_key="b", kind="out_of_scope", created_at=NOW),
        Inquiry(channel="web", user_key="b", kind="smalltalk", created_at=NOW),
        Inquiry(channel="web", user_key="b", kind="command", text="/start", created_at=NOW),
        Inquiry(channel="web", user_key="b", kind="flow", text="3 năm", created_at=NOW),
        Inquiry(channel="web", user_key="b", kind="button", text="faq:e2", entry_id="e2",
                confident=True, created_at=NOW),
        Inquiry(channel="zalo", user_key="a", kind="faq", entry_id="e1", confident=True,
                margin=0.05, verdict=False, created_at=NOW),
        Inquiry(channel="zalo", user_key="a", kind="faq", entry_id="e1", confident=True,
                margin=0.02, verdict=True, created_at=NOW),
        Inquiry(channel="web", user_key="c", kind="faq", confident=True, entry_id="e2",
                created_at=NOW - timedelta(days=40)),
        Assessment(channel="web", user_key="a", flow_id="tt01-2020", answers={},
                   outcome={"grade": "Tốt", "total": 80}, created_at=NOW),
        Assessment(channel="web", user_key="b", flow_id="thanh-lap-htx", answers={},
                   outcome={"eligible": False, "unmet": ["x"]}, created_at=NOW),
        Subscriber(channel="zalo", chat_id="1", user_key="a", province="quang-ngai",
                   subscribed=True),
        Subscriber(channel="web", chat_id="2", user_key="b", province=None),
    )  # fmt: skip
    f = await Dashboard(engine).figures(days=7, now=NOW, flows=kb.flows)
    assert [d.day for d in f.days][-1] == date(2026, 11, 24) and len(f.days) == 7
    assert (f.days[-1].total, f.days[-1].confident) == (5, 4)
    # one definition of a question: no small talk, /start, questionnaire answer or press
    assert sum(d.total for d in f.days) == f.questions == sum(f.by_channel.values()) == 5
    assert f.by_channel == {"zalo": 4, "telegram": 1}
    assert (f.answered_down, round(f.down_share, 2)) == (1, 0.25)
    assert (f.checked, f.checked_right, f.checked_wrong) == (2, 1, 1)
    assert f.top_entries == [("e1", 4)]
    assert (f.votes_up, f.votes_down, f.disliked_entries) == (1, 1, [("e1", 1, 1)])
    assert f.assessments["tt01-2020"]["Tốt"] == 1
    assert f.assessments["thanh-lap-htx"]["Chưa đủ điều kiện"] == 1
    assert f.by_province == {"quang-ngai": 4}
    await _add(
        engine,
        Assessment(
            channel="web",
            user_key="a",
            flow_id="tt01-2020",
            answers={},
            outcome={"grade": "trung_binh", "total": 55},
            created_at=NOW,
        ),
    )
    graded = await Dashboard(engine).figures(days=7, now=NOW, flows=kb.flows)
    assert graded.assessments["tt01-2020"]["Trung bình"] == 1  # the band's label, not its key
    await engine.dispose()


def _item(i: int, text: str, entry: str | None = None, user: str = "u") -> Item:
    return Item(i, text, text, "not_sure", entry, None, user, NOW + timedelta(minutes=i))


def test_grouping_joins_rewordings_and_keeps_topics_apart() -> None:
    items = [
        _item(1, "ve may bay di ha noi mua o dau", user="a"),
        _item(2, "mua ve may bay di ha noi o dau", user="b"),
        _item(3, "con bo nha toi bi om", "e9"),
        _item(4, "ve may bay ha noi mua o dau vay", user="a"),
    ]
    groups = group_items(items)
    assert [(g.count, g.users) for g in groups] == [(3, 2), (1, 1)]
    assert sorted(groups[0].ids) == [1, 2, 4] and groups[1].suggested == "e9"
    assert groups[0].samples and groups[0].text not in groups[0].samples


def test_with_phrasings_adds_to_entries_and_skips_unknown(kb: KnowledgeBase) -> None:
    entry = kb.entries[0]
    extended = kb.with_phrasings(
        {entry.id: ["mot cach hoi moi", entry.questions[0].upper()], "khong-co": ["x"]}
    )
    assert extended.entry(entry.id).questions == (*entry.questions, "mot cach hoi moi")  # type: ignore[union-attr]
    assert kb.entry(entry.id) is entry and len(extended.entries) == len(kb.entries)
