"""How the kernels are compiled: numba, caching machine code on disk where it can.

With a cache a restarted process loads each kernel's machine code (milliseconds) instead
of compiling it again (seconds). numba keeps the cache beside the sources, or in the
user's cache directory when the install is read-only (``NUMBA_CACHE_DIR`` chooses
another); when it finds nowhere to write it refuses the function outright, so then the
kernel is compiled without a cache: slower to start, never broken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numba


def compiled(function: Callable[..., Any]) -> Any:
    """``function`` compiled in nopython mode without the GIL, cached on disk if possible.

    nogil: the bot searches from two threads, and a live bot merges a batch in one while
    the other answers questions; compiled loops need no interpreter.
    """
    try:
        return numba.njit(cache=True, nogil=True)(function)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(nogil=True)(function)
