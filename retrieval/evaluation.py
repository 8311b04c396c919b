"""Retrieval quality on a BEIR-style set: read the set, run it through an engine, score it.

A set is a folder holding ``corpus.jsonl`` (or ``.jsonl.gz``: ``id``, ``text``, optional
``title``, ``date``, ``url``), ``queries.jsonl`` (``id``, ``text``, optional ``date`` and
``answers``) and optionally ``qrels.tsv`` (header ``query-id corpus-id score``, one line per
judged article; a score above 0 is relevant). Answers are for scoring only: the engine never
sees them.

Every metric is article level: ranked passages collapse to the first occurrence of each
article. Recall@k divides by ``min(relevant, k)`` (the standard form, so one relevant article
found at rank 1 scores 1). AnsHit@k asks whether an answer string occurs in one of the top-k
passages (or in the excerpts the bot shows), matched as the sets' README says: NFKC, case
folding, quote characters removed, whitespace collapsed, word-bounded where the answer begins
or ends with a letter or digit. A question the engine refuses or finds nothing for is a miss.
Each figure comes with a 95% interval, ``±1.96·sd/√n`` (sample sd).

The engine is fresh and in memory: an evaluation never touches an operator's store.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from retrieval.bm25 import Scorer
from retrieval.engine import MAX_QUERY_CHARS, Engine
from retrieval.errors import EvalSetError, QueryError
from retrieval.models import Article, SearchResult
from retrieval.recency import RECENCY, Recency
from retrieval.store_records import dedup_key

K = 10
"""Results asked for per query: enough for MRR@10 and nDCG@10."""

RANKING = ("Recall@1", "Recall@5", "MRR@10", "nDCG@10")
ANSWERS = ("AnsHit@1 passage", "AnsHit@5 passage", "AnsHit@1 excerpt", "AnsHit@5 excerpt")
DECLINED = "Declined"
"""The share of queries the search declined to answer (``SearchResult.abstained``)."""
METRICS = (*RANKING, *ANSWERS, DECLINED)

QUOTES = str.maketrans("", "", "'\"‘’“”`")


@dataclass(frozen=True, slots=True)
class EvalQuery:
    """One question of a set, with the answer strings used only to score it."""

    id: str
    text: str
    date: datetime | None = None
    answers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EvalSet:
    """A whole set: its articles, queries and relevant article ids per query id."""

    name: str
    articles: tuple[Article, ...]
    queries: tuple[EvalQuery, ...]
    qrels: Mapping[str, frozenset[str]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one query brought back: article ids (first occurrence each) and shown texts.

    ``excerpts`` are what a reader is shown: none when the search ``declined``, since the
    bot then lists titles only. Ranking metrics and passages still count the ranked hits.
    """

    articles: tuple[str, ...]
    passages: tuple[str, ...]
    excerpts: tuple[str, ...]
    refused: bool = False
    declined: bool = False


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean over ``n`` queries and the half width of its 95% interval (NaN below n=2)."""

    mean: float
    half_width: float
    n: int


@dataclass(frozen=True, slots=True)
class Report:
    """One set run through one engine: sizes, timings and every metric that applies."""

    name: str
    articles: int
    duplicates: int
    passages: int
    queries: int
    refused: int
    ingest_seconds: float
    search_seconds: float
    metrics: Mapping[str, Estimate]


# -- reading a set --------------------------------------------------------------------------


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Numbered non-blank lines of a text file, gzipped if its name ends in ``.gz``."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
        raise EvalSetError(f"{path}: cannot read it ({error})") from None


def _records(path: Path) -> Iterator[tuple[str, dict[str, object]]]:
    """Each JSON object of a JSON-lines file, with ``file line N`` to name it in errors."""
    for number, line in _lines(path):
        where = f"{path} line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalSetError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise EvalSetError(f"{where}: expected a JSON object")
        yield where, record


def _text(record: Mapping[str, object], field: str, where: str, *, required: bool) -> str:
    value = record.get(field)
    if value is None and not required:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and field == "id":
        return str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise EvalSetError(f"{where}: '{field}' must be a non-empty string")
    return value


def _date(record: Mapping[str, object], where: str) -> datetime | None:
    value = record.get("date")
    if value in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        raise EvalSetError(f"{where}: 'date' is not an ISO date: {value!r}") from None


def read_corpus(path: Path) -> tuple[Article, ...]:
    """The articles of a corpus file; a URL shared by several records is dropped from each.

    The store identifies an article by its URL, so a URL kept on notes that share it (one
    quiz page cited by several notes) would merge different texts into one article.
    """
    rows = []
    for where, record in _records(path):
        id_ = _text(record, "id", where, required=True)
        text = _text(record, "text", where, required=True)
        title = _text(record, "title", where, required=False)
        url = _text(record, "url", where, required=False)
        rows.append((id_, title, text, _date(record, where), url))
    if not rows:
        raise EvalSetError(f"{path}: no articles")
    urls = Counter(url for *_, url in rows if url)
    return tuple(
        Article(title, text, date=date, url=url if url and urls[url] == 1 else None, id=id_)
        for id_, title, text, date, url in rows
    )


def read_queries(path: Path) -> tuple[EvalQuery, ...]:
    """The queries of a queries file, each with its optional date and answer strings."""
    queries = []
    for where, record in _records(path):
        answers = record.get("answers", [])
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
            raise EvalSetError(f"{where}: 'answers' must be a list of strings")
        queries.append(
            EvalQuery(
                _text(record, "id", where, required=True),
                _text(record, "text", where, required=True),
                _date(record, where),
                tuple(answers),
            )
        )
    if not queries:
        raise EvalSetError(f"{path}: no queries")
    return tuple(queries)


def read_qrels(path: Path) -> dict[str, frozenset[str]]:
    """Relevant article ids per query id; the header line is optional, a score of 0 is not."""
    relevant: dict[str, set[str]] = {}
    for number, line in _lines(path):
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 3:
            fields = line.split()
        if number == 1 and fields[:1] == ["query-id"]:
            continue
        where = f"{path} line {number}"
        if len(fields) != 3:
            raise EvalSetError(f"{where}: expected 'query-id corpus-id score', tab-separated")
        try:
            score = float(fields[2])
        except ValueError:
            raise EvalSetError(f"{where}: the score {fields[2]!r} is not a number") from None
        if score > 0:
            relevant.setdefault(fields[0], set()).add(fields[1])
    return {query: frozenset(ids) for query, ids in relevant.items()}


def read_set(folder: Path, *, limit: int = 0) -> EvalSet:
    """Read a set folder (see the module docstring); ``limit`` keeps the first queries only.

    Judgements must name articles and queries of the set: a typo there would silently count
    as a miss.
    """
    if not folder.is_dir():
        raise EvalSetError(f"{folder}: not a folder holding an eval set")
    names = ("corpus.jsonl", "corpus.jsonl.gz")
    corpus = next((folder / name for name in names if (folder / name).is_file()), None)
    if corpus is None:
        raise EvalSetError(f"{folder}: no corpus.jsonl or corpus.jsonl.gz")
    if not (folder / "queries.jsonl").is_file():
        raise EvalSetError(f"{folder}: no queries.jsonl")
    articles = read_corpus(corpus)
    queries = read_queries(folder / "queries.jsonl")
    qrels_path = folder / "qrels.tsv"
    qrels = read_qrels(qrels_path) if qrels_path.is_file() else {}
    known_articles = {article.id for article in articles}
    known_queries = {query.id for query in queries}
    for query_id, ids in qrels.items():
        if query_id not in known_queries:
            raise EvalSetError(f"{qrels_path}: query-id {query_id!r} is not in queries.jsonl")
        if unknown := sorted(ids - known_articles):
            raise EvalSetError(f"{qrels_path}: corpus-id {unknown[0]!r} is not in {corpus.name}")
    kept = queries[:limit] if limit > 0 else queries
    return EvalSet(folder.resolve().name, articles, kept, qrels)


# -- metrics (pure) -------------------------------------------------------------------------


def recall_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """Relevant articles in the top ``k`` over ``min(len(relevant), k)``."""
    found = sum(1 for doc in ranked[:k] if doc in relevant)
    return found / min(len(relevant), k)


def reciprocal_rank(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """1/rank of the first relevant article within the top ``k``, else 0."""
    for rank, doc in enumerate(ranked[:k], 1):
        if doc in relevant:
            return 1 / rank
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    """Binary-gain nDCG@k: DCG of the ranking over the DCG of a perfect one."""
    dcg = sum(1 / math.log2(rank + 1) for rank, doc in enumerate(ranked[:k], 1) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def normalise_answer(text: str) -> str:
    """NFKC, case folding, no quote characters, single spaces: how answers and texts compare."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(QUOTES)
    return " ".join(folded.split())


def answer_pattern(answer: str) -> re.Pattern[str] | None:
    """A regex finding ``answer`` in normalised text, word-bounded at a letter or digit end."""
    norm = normalise_answer(answer)
    if not norm:
        return None
    before = r"(?<![^\W_])" if norm[0].isalnum() else ""
    after = r"(?![^\W_])" if norm[-1].isalnum() else ""
    return re.compile(before + re.escape(norm) + after)


def answer_hit(answers: Iterable[str], texts: Iterable[str]) -> bool:
    """Whether any answer occurs in any of ``texts`` (README matching rules)."""
    patterns = [p for p in map(answer_pattern, answers) if p is not None]
    return any(p.search(normalise_answer(text)) for text in texts for p in patterns)


def estimate(values: Sequence[float]) -> Estimate:
    """Mean of ``values`` and ``1.96·sd/√n`` with the sample sd (n-1); NaN where undefined."""
    n = len(values)
    if n == 0:
        return Estimate(math.nan, math.nan, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, math.nan, 1)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Estimate(mean, 1.96 * math.sqrt(variance) / math.sqrt(n), n)


def canonical_ids(articles: Iterable[Article]) -> dict[str, str]:
    """Map every article id to the id of the first article with the same dedup key.

    The store keeps one copy of duplicates; a judgement on a dropped copy is credited to the
    copy that was kept: same text, same answer.
    """
    first: dict[str, str] = {}
    return {article.id: first.setdefault(dedup_key(article), article.id) for article in articles}


def score(data: EvalSet, outcomes: Sequence[Outcome]) -> dict[str, Estimate]:
    """Every metric that applies: ranking ones over judged queries, AnsHit over answered ones."""
    canon = canonical_ids(data.articles)
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for query, outcome in zip(data.queries, outcomes, strict=True):
        values[DECLINED].append(float(outcome.declined))
        judged = data.qrels.get(query.id)
        if judged:
            relevant = frozenset(canon.get(doc, doc) for doc in judged)
            ranked = outcome.articles
            values["Recall@1"].append(recall_at(ranked, relevant, 1))
            values["Recall@5"].append(recall_at(ranked, relevant, 5))
            values["MRR@10"].append(reciprocal_rank(ranked, relevant, 10))
            values["nDCG@10"].append(ndcg_at(ranked, relevant, 10))
        if query.answers:
            for shown, texts in (("passage", outcome.passages), ("excerpt", outcome.excerpts)):
                for k in (1, 5):
                    hit = answer_hit(query.answers, texts[:k])
                    values[f"AnsHit@{k} {shown}"].append(float(hit))
    return {name: estimate(found) for name, found in values.items() if found}


# -- running an engine ----------------------------------------------------------------------

Ask = Callable[[Engine, EvalQuery, int], SearchResult]


def ask(engine: Engine, query: EvalQuery, k: int, *, dated: bool = False) -> SearchResult:
    """Search as the bot would: a question, or a text over the limit for related briefings.

    The one place a query meets the engine. With ``dated`` the question's ``date`` is its
    "today" (to its last second), as the bot uses a message's date; otherwise today is now.
    A date range in the question that matches nothing is widened to any date by the engine;
    one whose matches do not answer (the search declines) is followed the way the bot offers:
    by the same question without it.
    """
    as_of = _as_of(query.date) if dated else None
    related = engine.too_long(query.text)
    result = engine.search(query.text, k, as_of=as_of, related=related)
    if result.date_range is not None and result.abstained and not result.widened:
        return engine.search(result.undated, k, as_of=as_of, related=related)
    return result


def ask_dated(engine: Engine, query: EvalQuery, k: int) -> SearchResult:
    """:func:`ask` with the question's date as "today"."""
    return ask(engine, query, k, dated=True)


def _as_of(day: datetime | None) -> datetime | None:
    """The last second of a question's date (UTC when it names no zone); None if undated."""
    if day is None:
        return None
    if day.tzinfo is None:
        day = day.replace(tzinfo=UTC)
    if (day.hour, day.minute, day.second) == (0, 0, 0):
        day = day + timedelta(days=1, seconds=-1)
    return day


def outcome_of(result: SearchResult) -> Outcome:
    """Article ids in order of first occurrence, and the passage and excerpt of every hit."""
    articles = tuple(dict.fromkeys(hit.article.id for hit in result.hits))
    passages = tuple(hit.passage.text for hit in result.hits)
    # ``bench.quality --before`` runs engines from before declining existed: they never decline.
    declined = bool(getattr(result, "abstained", False))
    excerpts = () if declined else tuple(hit.excerpt for hit in result.hits)
    return Outcome(articles, passages, excerpts, declined=declined)


def evaluate(
    data: EvalSet,
    *,
    language: str = "english",
    scorer: Scorer = "lucene",
    max_query_chars: int = MAX_QUERY_CHARS,
    title_weight: float = 0.0,
    k: int = K,
    ask: Ask = ask,
    progress: Callable[[Iterable[EvalQuery]], Iterable[EvalQuery]] = iter,
    recency: Recency = RECENCY,
) -> Report:
    """Ingest ``data`` into a fresh in-memory engine, run every query, and score the results.

    ``progress`` wraps the query loop (a progress bar, say). A refused query is a miss.
    ``title_weight`` is the title field's (``retrieval.titles``; 0 keeps titles in passages).
    """
    # bench.quality --before runs this module over engines that had no recency setting or
    # title field: each is passed only when it differs from what those engines did.
    options: dict[str, Any] = {} if recency == RECENCY else {"recency": recency}
    if title_weight:
        options["title_weight"] = title_weight
    engine = Engine.open(
        ":memory:", language=language, scorer=scorer, max_query_chars=max_query_chars, **options
    )
    try:
        started = time.perf_counter()
        summary = engine.ingest(data.articles)
        ingest_seconds = time.perf_counter() - started
        outcomes: list[Outcome] = []
        started = time.perf_counter()
        for query in progress(data.queries):
            try:
                outcomes.append(outcome_of(ask(engine, query, k)))
            except QueryError:
                outcomes.append(Outcome((), (), (), refused=True))
        search_seconds = time.perf_counter() - started
    finally:
        engine.close()
    return Report(
        name=data.name,
        articles=len(summary.added),
        duplicates=summary.duplicates,
        passages=summary.passages,
        queries=len(data.queries),
        refused=sum(outcome.refused for outcome in outcomes),
        ingest_seconds=ingest_seconds,
        search_seconds=search_seconds,
        metrics=score(data, outcomes),
    )


def report_dict(report: Report) -> dict[str, object]:
    """A report as plain JSON-ready data; an undefined figure is ``null``."""

    def number(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 6)

    return {
        "set": report.name,
        "articles": report.articles,
        "duplicates": report.duplicates,
        "passages": report.passages,
        "queries": report.queries,
        "refused": report.refused,
        "ingest_seconds": round(report.ingest_seconds, 3),
        "search_ms": round(1e3 * report.search_seconds / max(report.queries, 1), 3),
        "metrics": {
            name: {"mean": number(e.mean), "ci95": number(e.half_width), "n": e.n}
            for name, e in report.metrics.items()
        },
    }
