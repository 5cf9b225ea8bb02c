"""Questionnaire state lives in the database: restarts and several workers continue one flow."""

from __future__ import annotations

import pytest

from coopbot.config import Settings
from coopbot.core import Core, Stores, build_core
from coopbot.storage.db import make_engine
from coopbot.storage.dialogs import (
    MemoryDialogStore,
    SqlAssessmentLog,
    SqlDialogStore,
    StateConflict,
)
from coopbot.storage.migrate import upgrade_async

from .helpers import Chat


def _core(settings: Settings, engine: object) -> Core:
    stores = Stores(
        dialogs=SqlDialogStore(engine),  # type: ignore[arg-type]
        assessments=SqlAssessmentLog(engine),  # type: ignore[arg-type]
    )
    return build_core(settings, stores)


async def test_two_workers_alternate_on_one_user(
    database_url: str, settings_default: Settings
) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        workers = [_core(settings_default, engine), _core(settings_default, engine)]
        answers = ["/kiemtra", "7", "25", "20%", "0", "có", "có"]
        for i, text in enumerate(answers):
            chat = Chat(workers[i % 2])
            await chat.say(text)
            if i < len(answers) - 1:
                assert f"Câu {i + 1}/6" in chat.text
        assert "✅" in chat.text
        results = await SqlAssessmentLog(engine).recent()  # type: ignore[arg-type]
        assert [r.outcome["eligible"] for r in results] == [True]
        assert await SqlDialogStore(engine).get(results[0].user_key) is None  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_restart_in_the_middle_continues(
    database_url: str, settings_default: Settings
) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    chat = Chat(_core(settings_default, engine))
    await chat.say("/kiemtra")
    await chat.say("5")
    await engine.dispose()  # the process goes away
    engine = make_engine(database_url)
    try:
        chat = Chat(_core(settings_default, engine))
        await chat.say("40")
        assert "Câu 3/6" in chat.text
    finally:
        await engine.dispose()


async def test_stale_write_is_a_conflict(database_url: str) -> None:
    await upgrade_async(database_url)
    engine = make_engine(database_url)
    try:
        for store in (SqlDialogStore(engine), MemoryDialogStore()):
            await store.put("u", {"flow": "x", "answers": {}}, None)
            first = await store.get("u")
            assert first is not None
            await store.put("u", {"flow": "x", "answers": {"a": 1}}, first.version)
            with pytest.raises(StateConflict):
                await store.put("u", {"flow": "x", "answers": {"a": 2}}, first.version)
            with pytest.raises(StateConflict):
                await store.put("u", {"flow": "x"}, None)
            current = await store.get("u")
            assert current is not None and current.data["answers"] == {"a": 1}
            await store.delete("u")
            assert await store.get("u") is None
    finally:
        await engine.dispose()
