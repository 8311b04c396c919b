"""Eval sets: the records of a BEIR-style set and the reading of its folder.

A set is a folder holding ``corpus.jsonl`` (or ``.jsonl.gz``: ``id``, ``text``, optional
``title``, ``date``, ``url``), ``queries.jsonl`` (``id``, ``text``, optional ``date`` and
``answers``) and optionally ``qrels.tsv`` (header ``query-id corpus-id score``, one line per
judged article; a score above 0 is relevant). Answers are for scoring only: the engine never
sees them.

Kept apart from :mod:`retrieval.evaluation` (which runs a set through an engine) because
reading is file parsing with its own errors (:class:`~retrieval.errors.EvalSetError`, naming
the file and line), and benchmarks read sets without running the evaluation.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from retrieval.errors import EvalSetError
from retrieval.models import Article


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
