"""Answer selection over a whole message: inputs of the part confidence model."""

from __future__ import annotations

from coopbot.core import Core
from coopbot.retrieval.select import PART_CONF_FEATURES, Selector

SHARED = PART_CONF_FEATURES.index("shared")
IN_DOMAIN = PART_CONF_FEATURES.index("in_domain")


def _selector(core: Core) -> Selector:
    """The selector the running router uses."""
    return core.live.router.selector


def test_parts_that_rank_one_entry_first_vouch_for_each_other(shared_core: Core) -> None:
    selection = _selector(shared_core).select(
        "Luật bắt đủ 7 xã viên mới lập được hợp tác xã đúng không? "
        "Xóm tôi có 6 hộ thì lập hợp tác xã được chưa?"
    )
    assert len(selection.parts) == 2
    first, second = (p.best for p in selection.parts)
    assert first is not None and second is not None
    assert first.entry.id == second.entry.id
    assert [p.conf_values[SHARED] for p in selection.parts] == [1.0, 1.0]


def test_parts_on_different_entries_share_nothing(shared_core: Core) -> None:
    selection = _selector(shared_core).select(
        "Lập hợp tác xã cần tối thiểu bao nhiêu thành viên? "
        "Lệ phí đăng ký hợp tác xã là bao nhiêu tiền?"
    )
    ids = [p.best.entry.id for p in selection.parts if p.best]
    assert len(set(ids)) == 2
    assert [p.conf_values[SHARED] for p in selection.parts] == [0.0, 0.0]


def test_the_domain_named_only_in_the_story_counts(shared_core: Core) -> None:
    selector = _selector(shared_core)
    asked = "Được chia lại phần đó không? Nếu bán thì tiền đưa về đâu?"
    bare = selector.select(asked)
    told = selector.select(
        "Hợp tác xã chúng tôi có cái sân phơi làm bằng tiền Nhà nước hỗ trợ. " + asked
    )
    assert len(told.parts) == 2
    assert not bare.in_domain
    assert told.in_domain
    assert all(p.conf_values[IN_DOMAIN] == 1.0 for p in told.parts)
