"""Records that cross module boundaries: plain, frozen, and free of markup.

Every span is a half-open ``[start, end)`` range of character offsets, so a
consumer can prove an excerpt or a highlight is a verbatim slice of stored text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range ``[start, end)`` inside some text."""

    start: int
    end: int

    def slice(self, text: str) -> str:
        """Return the part of ``text`` this span covers."""
        return text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Article:
    """A briefing as a loader produced it, before it is stored.

    ``id`` may be empty: the store then derives one from the dedup key
    (canonical URL, else content hash), so the same article always gets
    the same id whichever way it arrived.
    """

    title: str
    text: str
    date: datetime | None = None
    url: str | None = None
    source: str | None = None
    id: str = ""


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """A stored article without its text: what a citation or a listing needs."""

    id: str
    title: str
    date: datetime | None
    url: str | None
    source: str | None
    passages: int = 0


@dataclass(frozen=True, slots=True)
class Passage:
    """A chunk of an article; ``span`` locates ``text`` inside the article text."""

    id: int
    article_id: str
    ordinal: int
    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """One input item a loader or the store refused, and why, in plain words."""

    source: str
    where: str
    reason: str

    def __str__(self) -> str:
        where = f" ({self.where})" if self.where else ""
        return f"{self.source}{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LoadReport:
    """What a loader kept and what it skipped: nothing is dropped silently."""

    articles: tuple[Article, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __add__(self, other: LoadReport) -> LoadReport:
        return LoadReport(self.articles + other.articles, self.skipped + other.skipped)


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """The outcome of storing one batch: what was added, updated, stored already or skipped.

    The new passages have the ids ``first_passage .. first_passage + passages - 1``.
    """

    added: tuple[ArticleInfo, ...] = ()
    duplicates: int = 0
    skipped: tuple[Skipped, ...] = ()
    passages: int = 0
    first_passage: int = 0
    updated: tuple[ArticleInfo, ...] = ()
    """New versions that replaced a stored article with the same URL (their passages are
    counted in ``passages``; ``added`` leaves them out)."""
    unchanged: tuple[ArticleInfo, ...] = ()
    """The ``duplicates``: articles stored already with the same text, under their stored id."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result, ready to cite.

    ``passage`` is the passage the excerpt was taken from, which is what "open passage"
    shows; ``ranked`` is the passage of the same article that the index ranked (and that
    ``score`` belongs to), often but not always the same one (``None`` on a hit built by
    hand means ``passage``). ``excerpt`` is ``excerpt_span.slice(passage.text)``: one to
    three whole sentences chosen to answer the query, or part of one long sentence, in which
    case ``cut_start`` / ``cut_end`` say the sentence goes on before / after it, so a reader
    is shown an ellipsis there. ``highlights`` are spans inside ``excerpt``. ``also`` names
    the other articles whose copy of the passage was folded into this hit.
    """

    rank: int
    score: float
    article: ArticleInfo
    passage: Passage
    excerpt: str
    excerpt_span: Span
    highlights: tuple[Span, ...] = ()
    ranked: Passage | None = None
    cut_start: bool = False
    cut_end: bool = False
    also: tuple[ArticleInfo, ...] = ()
    """Articles holding a near-identical copy of this passage, folded into this hit."""


@dataclass(frozen=True, slots=True)
class DateRange:
    """Publication dates a search kept to: ``since`` inclusive, ``until`` exclusive, aware."""

    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of hits for a query plus what a reply header needs.

    ``total`` counts every ranked result (what pages are cut from); ``hits`` are those from
    ``offset`` on, each keeping its overall ``rank``. ``matched`` counts the distinct articles
    holding any query word, exactly unless ``more`` says that more matched than were counted.
    ``abstained`` means no hit answers the question well enough: the hits are then only the
    nearest articles, for a reader who wants to look anyway. ``share`` is what that was judged
    on: the share (0-1) of the question's rare-word weight the best passage holds. ``related``
    says the query was a message searched by its most telling ``terms`` rather than a question.
    ``date_range`` is the range of publication dates the question asked for ("since May"),
    whose words were then not searched; ``undated`` is the question without them, to offer
    when nothing in the range matched. ``widened`` says nothing in that range matched, so the
    question was searched at any date and ``hits`` come from outside it. ``as_of`` is the
    search's "today": nothing published after it is returned. ``preferred`` says the range
    was only preferred (briefings dated within it rank higher), not kept to: the hits may lie
    outside it (``retrieval.date_intent``).
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int = 0
    terms: tuple[str, ...] = ()
    seconds: float = 0.0
    matched: int = 0
    more: bool = False
    abstained: bool = False
    share: float = 0.0
    related: bool = False
    date_range: DateRange | None = None
    undated: str = ""
    as_of: datetime | None = None
    widened: bool = False
    preferred: bool = False


@dataclass(frozen=True, slots=True)
class IndexCheck:
    """How the search index agrees with the store: what opening repaired, what it lacks now.

    ``unsearchable`` passages were stored (by another process) after this engine last caught
    up; its next ingest or ``refresh`` indexes them. ``repaired`` says in words what opening
    the store found behind or wrong in the saved index and fixed.
    """

    stored: int
    searchable: int
    saved: int | None
    repaired: str | None = None
    save_error: str | None = None

    @property
    def unsearchable(self) -> int:
        """Stored passages this engine cannot find yet."""
        return max(self.stored - self.searchable, 0)


@dataclass(frozen=True, slots=True)
class EngineStats:
    """Sizes an operator wants to see."""

    articles: int
    passages: int
    vocabulary: int
    store_bytes: int
    index_bytes: int
    retired: int = 0
    """Of ``passages``, those of replaced or removed articles: indexed, never returned."""


@dataclass(frozen=True, slots=True)
class Removed:
    """What one removal took out of the store and the index, at once."""

    articles: tuple[ArticleInfo, ...]
    passages: int


@dataclass(frozen=True, slots=True)
class CitedPassage:
    """One whole passage opened from a result: its article, the query's words and neighbours.

    ``highlights`` are spans inside ``passage.text``; ``previous`` and ``next`` are the ids of
    the passages before and after it in the same article (None at either end), so a reader
    can page through the article without knowing how ids are assigned.
    """

    passage: Passage
    article: ArticleInfo
    highlights: tuple[Span, ...]
    previous: int | None
    next: int | None
