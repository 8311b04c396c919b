"""Kernels compile with numba's disk cache when it has a place for it, and without otherwise."""

from __future__ import annotations

import pytest
from numba.core import caching

from retrieval.jit import compiled


def twice(x: int) -> int:
    """A function small enough to compile in a test."""
    return 2 * x


def test_a_kernel_is_cached_on_disk_where_numba_can_write() -> None:
    """With a writable cache location the compiled function carries a disk cache."""
    kernel = compiled(twice)
    assert isinstance(kernel._cache, caching.FunctionCache)
    assert kernel(21) == 42


def test_a_kernel_compiles_without_cache_when_numba_has_nowhere_to_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only install with no writable cache directory still gets a working kernel."""
    monkeypatch.setattr(caching.CacheImpl, "_locator_classes", [])
    with pytest.raises(RuntimeError, match="no locator"):
        caching.FunctionCache(twice)  # what numba.njit(cache=True) would meet
    kernel = compiled(twice)
    assert isinstance(kernel._cache, caching.NullCache)
    assert kernel(21) == 42
