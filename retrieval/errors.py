"""Typed errors raised by ``retrieval``; their messages are written for end users.

::

    BriefbotError
    ├── QueryError              a query we will not run; the message says what to do
    │   ├── EmptyQueryError       nothing searchable was typed
    │   ├── StopwordsOnlyError    only words too common to search for
    │   ├── QueryTooLongError     over ``MAX_QUERY_CHARS``
    │   └── TooManyResultsError   more results asked for than ``MAX_RESULTS``
    ├── SourceError             a whole source cannot be read (missing file, bad URL,
    │                           HTTP failure, response too large)
    ├── StoreError              the store cannot be opened or written
    │   └── IndexLanguageError    a read-only open in another language than the store's
    └── EvalSetError            an eval set (``retrieval.eval_sets``) is missing or malformed

Malformed *items* inside a readable source are not errors: loaders report them
as ``Skipped`` records and keep everything else.
"""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error ``retrieval`` raises on purpose."""


class QueryError(BriefbotError):
    """A query that will not be searched; ``str(error)`` is a help message."""


class EmptyQueryError(QueryError):
    """The query has no searchable words."""

    def __init__(self) -> None:
        super().__init__("Type a few words to search for, e.g. 'weapons for Ukraine'.")


class StopwordsOnlyError(QueryError):
    """Every word of the query is a stopword ("the", "of", ...)."""

    def __init__(self, query: str) -> None:
        super().__init__(
            f"'{query}' has only very common words. Add a specific word: a name, place or topic."
        )


class QueryTooLongError(QueryError):
    """The query is longer than the documented limit."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"That query is {length} characters long; the limit is {limit}. "
            "Ask with a few key words instead."
        )


class TooManyResultsError(QueryError):
    """More results were asked for than one search returns."""

    def __init__(self, asked: int, limit: int) -> None:
        self.asked = asked
        self.limit = limit
        super().__init__(f"Ask for at most {limit:,} results at a time, not {asked:,}.")


class SourceError(BriefbotError):
    """A source (file, folder or URL) could not be read at all."""


class StoreError(BriefbotError):
    """The article store could not be opened, read or written."""


class IndexLanguageError(StoreError):
    """A read-only engine was asked for another language than the store's index holds.

    Re-indexing would mean writing (or, read-only, re-analysing every passage at each open),
    so the caller is told both languages and decides.
    """

    def __init__(self, path: str, stored: str, wanted: str) -> None:
        self.path = path
        self.stored = stored
        self.wanted = wanted
        super().__init__(f"the index of {path} is in {stored}, not {wanted}")


class EvalSetError(BriefbotError):
    """An eval set that cannot be read; the message names the file and the line."""
