"""How much a loader will read, and how much of a bad item a skip reason may quote.

Loaders hold a whole input in memory while they parse it, so these caps are what bound their
memory: without them a gzip bomb, a huge sparse file or a link to ``/dev/zero`` grows the
process until it dies. They sit in the same order as the 20 MB cap on a download, with room
for a real exported corpus (tens of MB of JSON Lines). A skip reason is shown in chats, logs
and the /sources table, so it quotes a short head of the offending value, never all of it.
"""

from __future__ import annotations

import re

MAX_FILE_BYTES = 100_000_000
"""A local file larger than this (as stored, compressed or not) is skipped unread."""

MAX_UNPACKED_BYTES = 100_000_000
"""A gzip file that decompresses to more than this is rejected: a small file can expand
without bound."""

MAX_LINE_BYTES = 10_000_000
"""One JSON Lines record longer than this is skipped: no article is that long, and parsing
one would need many times its size in memory."""

MAX_QUOTE_CHARS = 60
"""How many characters of a title, date or line a skip reason quotes."""

_SURROGATES = re.compile("[\ud800-\udfff]")


def quote(value: str, limit: int = MAX_QUOTE_CHARS) -> str:
    """``repr(value)``, cut to its first ``limit`` characters with the full length said."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}… ({len(value):,} characters)"


def storable(text: str) -> str:
    """``text`` as the store can keep it exactly: NULs dropped, lone surrogates made U+FFFD.

    SQLite's string functions stop at a NUL, so a passage read back would end there; a lone
    surrogate (JSON allows ``"\\ud800"``) cannot be encoded as UTF-8 at all.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    return _SURROGATES.sub("\ufffd", text)
