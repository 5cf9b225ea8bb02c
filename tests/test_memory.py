"""Freed heap memory is handed back to the OS after an index build (glibc only)."""

from __future__ import annotations

import platform

from coopbot.memory import release_free_memory


def rss_kb() -> int:
    """This process's resident set, in kB (Linux)."""
    with open("/proc/self/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1])


def test_freed_scratch_memory_leaves_the_process() -> None:
    assert platform.libc_ver()[0] == "glibc"  # the deployment's C library (Debian)
    scratch = [bytearray(4000) for _ in range(20_000)]  # 80 MB of malloc'd blocks
    kept = scratch[::10]  # live blocks all along the heap: it cannot shrink from its top
    scratch.clear()
    before = rss_kb()
    assert release_free_memory()
    assert rss_kb() < before - 30_000  # most of the 72 MB freed is resident no more
    assert len(kept) == 2000
