"""Searches in a process of their own, so answering and searching each get a core.

The bot's event loop (python-telegram-bot, httpx) and the search (numpy, numba, sentence
splitting for excerpts) both need the interpreter lock; in one process they take turns on one
core. A child process opens the same store as a read replica (``Engine.refresh`` picks up what
the bot ingested since) and answers searches for it. An in-memory store has no second reader,
so it is searched in the bot's own process.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from retrieval.engine import Engine
from retrieval.models import SearchResult

_replica: Engine | None = None


def _open_replica(path: str, language: str, scorer: str, max_query_chars: int) -> None:
    """Child process start-up: open the store and its index to read."""
    global _replica  # one replica per child process
    _replica = Engine.open(
        path, language=language, scorer=scorer, max_query_chars=max_query_chars, workers=1
    )


def _search(query: str, k: int, offset: int, limit: int) -> SearchResult:
    """Child process: catch up with the store, then search."""
    if _replica is None:
        raise RuntimeError("the search process has no engine")
    _replica.refresh()
    return _replica.search(query, k, offset=offset, limit=limit)


class Searcher:
    """``Engine.search`` for the bot, run in a child process when the store is a file."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._pool: ProcessPoolExecutor | None = None
        if engine.store.path != ":memory:":
            # forkserver: the bot runs threads, and forking a threaded process is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["retrieval.engine"])
            same = (engine.store.path, engine.analyzer.language, engine.params.scorer,
                    engine.max_query_chars)  # fmt: skip
            self._pool = ProcessPoolExecutor(
                1, mp_context=context, initializer=_open_replica, initargs=same
            )

    def search(self, query: str, k: int, *, offset: int, limit: int) -> SearchResult:
        """Like ``Engine.search``; blocks the calling thread, never the event loop.

        The query is checked here first, so a ``QueryError`` with its help text is raised in
        this process, as ``Engine.search`` would raise it.
        """
        if self._pool is None:
            return self.engine.search(query, k, offset=offset, limit=limit)
        self.engine.query_terms(query)
        return self._pool.submit(_search, query, k, offset, limit).result()

    def close(self) -> None:
        """Stop the search process, if one was started."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
