"""Erasure on request (Decree 13/2023/NĐ-CP): every store holding a user's data is ``Erasable``.

The core erases from its own stores (inquiries, dialog state, assessments) and from every extra
store it is given (contacts; subscribers later), so a new table only has to implement this.
"""

from __future__ import annotations

from typing import Protocol

from coopbot.messages import UserKey


class Erasable(Protocol):
    """A store that can forget one user; stores keyed by pseudonym use ``user_key``, stores that
    keep raw channel ids (contacts, subscribers) use ``user``."""

    async def erase_user(self, user: UserKey, user_key: str) -> int:
        """Delete everything about the user; the number of rows removed."""
        ...
