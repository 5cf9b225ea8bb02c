"""Counts for operators (``coopbot stats --json``); a database not yet migrated counts 0."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, MetaData, Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine


async def collect_stats(engine: AsyncEngine) -> dict[str, Any]:
    """Inquiries (total, confident), users, subscribers, assessments, broadcasts, deliveries."""
    async with engine.connect() as conn:
        return await conn.run_sync(_collect)


def _collect(conn: Connection) -> dict[str, Any]:
    """Read every count over one connection."""
    names = set(inspect(conn).get_table_names())
    meta = MetaData()
    tables = {n: Table(n, meta, autoload_with=conn) for n in names & set(_TABLES)}

    def count(name: str, *where: Any) -> int:
        if name not in tables:
            return 0
        query = select(func.count()).select_from(tables[name])
        return int(conn.execute(query.where(*where)).scalar_one())

    inquiry = tables.get("inquiry")
    deliveries: dict[str, int] = {}
    delivery = tables.get("delivery")
    if delivery is not None and "status" in delivery.c:
        rows = conn.execute(select(delivery.c.status, func.count()).group_by(delivery.c.status))
        deliveries = {str(status): int(n) for status, n in rows}
    subscriber = tables.get("subscriber")
    active = (
        [subscriber.c.subscribed.is_(True)]
        if subscriber is not None and "subscribed" in subscriber.c
        else []
    )
    return {
        "inquiries": {
            "total": count("inquiry"),
            "confident": count("inquiry", inquiry.c.confident.is_(True))
            if inquiry is not None
            else 0,
        },
        "users": _users(conn, inquiry),
        "subscribers": count("subscriber", *active),
        "assessments": count("assessment"),
        "broadcasts": count("broadcast"),
        "deliveries": deliveries,
    }


def _users(conn: Connection, inquiry: Table | None) -> int:
    """Distinct pseudonymous users who asked something."""
    if inquiry is None:
        return 0
    query = select(func.count(func.distinct(inquiry.c.user_key)))
    return int(conn.execute(query).scalar_one())


_TABLES = ("inquiry", "assessment", "subscriber", "broadcast", "delivery")
