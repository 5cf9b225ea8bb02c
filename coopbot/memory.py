"""Give freed heap memory back to the operating system after building a large index.

Building the retrieval index allocates tens of megabytes of short-lived arrays and lists; glibc
keeps the freed pages in its heap, so a worker's resident memory stays at the build's peak. No
library exposes ``malloc_trim``, so it is called through ctypes; elsewhere (musl, macOS) this
does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, if this process has it."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


def release_free_memory() -> bool:
    """Collect garbage and return the heap's free pages to the OS; whether anything could be
    asked (False where the C library has no malloc_trim)."""
    gc.collect()
    trim = _trim()
    if trim is None:
        return False
    trim(0)
    return True
