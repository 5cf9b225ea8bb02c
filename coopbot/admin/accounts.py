"""Staff accounts: argon2 password hashes (computed off the event loop) and database sessions.
Sign-in throttling is ``coopbot.admin.throttle``."""

from __future__ import annotations

import asyncio
import enum
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from coopbot.errors import InputError
from coopbot.storage.db import session_factory
from coopbot.storage.tables import StaffSession, StaffUser

SESSION_TTL = timedelta(hours=12)
MIN_PASSWORD = 10
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-")


class Role(enum.IntEnum):
    """What a staff member may do; each role includes the ones below it."""

    STAFF = 1  # dashboard, review queue, conversations, exports
    OFFICER = 2  # also broadcasts
    ADMIN = 3  # also users and the knowledge base

    @classmethod
    def parse(cls, value: str) -> Role:
        """``"officer"`` → ``Role.OFFICER``; InputError otherwise."""
        try:
            return cls[value.strip().upper()]
        except KeyError:
            raise InputError(f"unknown role '{value}' (staff, officer or admin)") from None


@dataclass(frozen=True, slots=True)
class Staff:
    """A signed-in (or listed) staff member."""

    id: int
    name: str
    role: Role
    active: bool


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """Who a session cookie belongs to, and the CSRF token of that session."""

    staff: Staff
    csrf: str


def _token_hash(token: str) -> str:
    """Sessions are stored by hash: a leaked table does not sign anyone in."""
    return hashlib.sha256(token.encode()).hexdigest()


def _staff(row: StaffUser) -> Staff:
    """Row → value."""
    assert row.id is not None
    return Staff(row.id, row.name, Role.parse(row.role), row.active)


def check_new_account(name: str, password: str) -> str:
    """Normalise a new account name and enforce the password rule; InputError names the problem."""
    clean = name.strip().lower()
    if not clean or len(clean) > 64 or not set(clean) <= NAME_CHARS:
        raise InputError("name: 1–64 characters from a-z, 0-9, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters")
    return clean


class Accounts:
    """Users, sessions and throttling, all in the database so several workers agree."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.sessions = session_factory(engine)
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        # verifying an unknown name still costs one hash, so timing does not reveal names
        self._dummy = self.hasher.hash(secrets.token_hex(8))

    async def create_user(self, name: str, role: Role, password: str) -> Staff:
        """Add an account; InputError when the name is taken or the password too short."""
        clean = check_new_account(name, password)
        hashed = await asyncio.to_thread(self.hasher.hash, password)
        row = StaffUser(name=clean, role=role.name.lower(), password_hash=hashed)
        async with self.sessions() as s:
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:
                raise InputError(f"name: '{clean}' is already taken") from None
            await s.refresh(row)
        return _staff(row)

    async def users(self) -> list[Staff]:
        """Every account, by name."""
        async with self.sessions() as s:
            rows = (await s.exec(select(StaffUser).order_by(col(StaffUser.name)))).all()
        return [_staff(r) for r in rows]

    async def update_user(
        self, user_id: int, role: Role | None = None, active: bool | None = None
    ) -> bool:
        """Change role or active flag; deactivating also signs the user out everywhere."""
        async with self.sessions() as s:
            row = await s.get(StaffUser, user_id)
            if row is None:
                return False
            if role is not None:
                row.role = role.name.lower()
            if active is not None:
                row.active = active
                if not active:
                    await s.exec(delete(StaffSession).where(col(StaffSession.user_id) == user_id))
            s.add(row)
            await s.commit()
        return True

    async def set_password(self, user_id: int, password: str) -> None:
        """Replace a password and end the user's sessions."""
        if len(password) < MIN_PASSWORD:
            raise InputError(f"password: at least {MIN_PASSWORD} characters")
        async with self.sessions() as s:
            row = await s.get(StaffUser, user_id)
            if row is None:
                raise InputError("no such user")
            row.password_hash = await asyncio.to_thread(self.hasher.hash, password)
            s.add(row)
            await s.exec(delete(StaffSession).where(col(StaffSession.user_id) == user_id))
            await s.commit()

    async def authenticate(self, name: str, password: str) -> Staff | None:
        """The active account with this name and password, else None (constant work either way)."""
        async with self.sessions() as s:
            row = (
                await s.exec(select(StaffUser).where(StaffUser.name == name.strip().lower()))
            ).first()
            stored = row.password_hash if row is not None else self._dummy
            try:  # argon2 takes tens of milliseconds of CPU: never on the event loop
                await asyncio.to_thread(self.hasher.verify, stored, password)
            except (VerificationError, InvalidHashError):
                return None
            if row is None or not row.active:
                return None
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = await asyncio.to_thread(self.hasher.hash, password)
                s.add(row)
                await s.commit()
            return _staff(row)

    async def open_session(self, staff: Staff) -> tuple[str, str]:
        """A new session: (cookie token, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.fromtimestamp(self.clock(), UTC)
        row = StaffSession(
            token_hash=_token_hash(token), user_id=staff.id, csrf=csrf, expires_at=now + SESSION_TTL
        )
        async with self.sessions() as s:
            s.add(row)
            await s.commit()
        return token, csrf

    async def session(self, token: str) -> SessionInfo | None:
        """The live session for a cookie token, if any."""
        now = datetime.fromtimestamp(self.clock(), UTC)
        async with self.sessions() as s:
            found = (
                await s.exec(
                    select(StaffSession, StaffUser)
                    .join(StaffUser, col(StaffUser.id) == col(StaffSession.user_id))
                    .where(StaffSession.token_hash == _token_hash(token))
                )
            ).first()
        if found is None:
            return None
        sess, user = found
        if sess.expires_at <= now or not user.active:
            return None
        return SessionInfo(_staff(user), sess.csrf)

    async def close_session(self, token: str) -> None:
        """Sign out."""
        async with self.sessions() as s:
            await s.exec(
                delete(StaffSession).where(col(StaffSession.token_hash) == _token_hash(token))
            )
            await s.commit()
