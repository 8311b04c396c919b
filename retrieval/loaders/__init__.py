"""Turn files, folders, feeds and URLs into ``Article`` records plus skip reasons.

Every loader returns a ``LoadReport``: the articles it kept and one
``Skipped`` per malformed item. A source that cannot be read at all raises
``SourceError``. This is the only part of ``retrieval`` that touches files,
the network, feeds or HTML.
"""

from __future__ import annotations

from retrieval.loaders.dates import parse_date
from retrieval.loaders.feeds import load_feed
from retrieval.loaders.fetch import USER_AGENT, Fetched, fetch
from retrieval.loaders.folders import load_path
from retrieval.loaders.jsonl import load_jsonl
from retrieval.loaders.locations import load_location, load_url
from retrieval.loaders.markup import html_to_text
from retrieval.loaders.textfile import load_text

__all__ = [
    "USER_AGENT",
    "Fetched",
    "fetch",
    "html_to_text",
    "load_feed",
    "load_jsonl",
    "load_location",
    "load_path",
    "load_text",
    "load_url",
    "parse_date",
]
