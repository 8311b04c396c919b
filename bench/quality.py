"""Answer quality of the engine on the eval sets, beside plain BM25Okapi, in one run.

Each set goes through ``retrieval.evaluation`` exactly as ``briefbot eval`` runs it: a fresh
in-memory engine, every query through ``Engine.search(query, k=10)`` (a query over the
question limit searched for related briefings, as the bot would), article-level Recall@1/@5,
MRR@10 and nDCG@10 where ``qrels.tsv`` judges, AnsHit@1/@5 of the passage and of the excerpt
the bot shows where queries have answers, each ±1.96·sd/√n.

Beside it, the sets' README reference measured here: ``rank_bm25.BM25Okapi`` with defaults over
passages of 50-200 words with the title prepended, tokens from our ``Analyzer`` (NFKC, case
folding, ``[^\\W_]+``, the 179 NLTK English stopwords, Snowball stems); every query's terms, no
length limit. Its AnsHit counts the top-k passages (it has no excerpt); its ranking collapses
passages to articles like ours.

Questions of rtqa_news_2024 are asked as of their date (``--as-of now`` turns that off); the
other sets as of now. ``--before REV`` runs the same evaluation with the engine (the
``retrieval`` package) as it is at git revision ``REV``, in a child process, and prints its
rows beside ours.

``--half even`` (tune) or ``--half odd`` (check) keeps every other question.
``--proximity W`` sets the weight of the best passages' word proximity (``retrieval.rerank``).
``--statement-support W`` sets the weight of queries that read as statements
(``retrieval.query_form``); ``--without-forms`` ranks them like questions, as before forms.
``--asked-weight W`` sets the factor on a question's asked noun (``retrieval.asked_noun``).

    python -m bench.quality [--sets rtqa_news_2024,bbc_title] [--limit 300] [--before main]
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import io
import json
import math
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bench.machine import machine_report, markdown_table, need_eval

ROOT = Path(__file__).resolve().parents[1]
SETS = ("rtqa_news_2024", "rtqa_evidence_dev", "bbc_title", "bbc_lead")
SCORERS = ("lucene",)
COLUMNS = (
    ("Recall@1", "R@1"),
    ("Recall@5", "R@5"),
    ("MRR@10", "MRR@10"),
    ("nDCG@10", "nDCG@10"),
    ("AnsHit@1 passage", "AnsHit@1 passage"),
    ("AnsHit@5 passage", "AnsHit@5 passage"),
    ("AnsHit@1 excerpt", "AnsHit@1 excerpt"),
    ("AnsHit@5 excerpt", "AnsHit@5 excerpt"),
    ("Declined", "declined"),
)
README_REFERENCE = {  # the sets' README: rank_bm25.BM25Okapi, 50-200-word passages with title
    "bbc_title": {"Recall@1": 0.671, "Recall@5": 0.886, "MRR@10": 0.766, "nDCG@10": 0.811},
    "bbc_lead": {"Recall@1": 0.621, "Recall@5": 0.882, "MRR@10": 0.735, "nDCG@10": 0.787},
    "rtqa_news_2024": {"AnsHit@1 passage": 0.148, "AnsHit@5 passage": 0.256},
}
DATED_SETS = ("rtqa_news_2024",)
"""Sets whose question dates are the asker's "today"; rtqa_evidence_dev's would leak the answer
(each note is dated with its quiz date), so it is always searched as of now."""
MIN_WORDS, MAX_WORDS = 50, 200
CHECKED = 20  # queries whose reference scores are compared with get_scores itself


def load_evaluation() -> ModuleType:
    """Our ``retrieval/evaluation.py``, even over the ``retrieval`` of an older revision.

    An older engine may lack the module (or the ``eval_sets`` and ``eval_metrics`` it uses),
    its error class or ``search(related=...)``; the modules are then loaded from this tree by
    path and the missing error class supplied, so both revisions are measured by the same code.
    """
    import retrieval
    import retrieval.errors as errors

    if Path(retrieval.__file__).resolve().parent == ROOT / "retrieval":
        import retrieval.evaluation

        return retrieval.evaluation
    if not hasattr(errors, "EvalSetError"):
        errors.EvalSetError = type("EvalSetError", (errors.BriefbotError,), {})  # type: ignore[attr-defined]
    for name in ("eval_sets", "eval_metrics", "evaluation"):  # each imports the ones before
        path = ROOT / "retrieval" / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"retrieval.{name}", path)
        if spec is None or spec.loader is None:
            sys.exit(f"bench: cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[f"retrieval.{name}"] = module
        spec.loader.exec_module(module)
    return module


def engine_ask(evaluation: ModuleType, dated: bool = False) -> Any:
    """How queries meet the engine: as the bot asks, or plainly if it cannot search related.

    ``dated``: each question's date is its "today" (``as_of``), for an engine that has one.
    """
    from retrieval.engine import Engine

    parameters = inspect.signature(Engine.search).parameters
    if "as_of" in parameters:
        return evaluation.ask_dated if dated else evaluation.ask
    if "related" in parameters:  # an engine from before "today" (as_of) existed
        return lambda engine, query, k: engine.search(
            query.text, k, related=engine.too_long(query.text)
        )
    return lambda engine, query, k: engine.search(query.text, k)


def ours(
    evaluation: ModuleType,
    data: Any,
    scorer: str,
    dated: bool = False,
    title_weight: float = 0.0,
    support: float | None = None,
    statement_support: float | None = None,
    forms: bool = True,
    coverage: float | None = None,
    asked_weight: float | None = None,
    proximity: float | None = None,
) -> dict[str, Any]:
    """Our engine on one set, as ``briefbot eval`` runs it; the row's figures as a dict.

    ``title_weight`` is passed only when above 0: an engine from before the title field
    takes no such argument. ``dated`` asks each question as of its date. ``support`` and
    ``statement_support`` (when given) are set as the engine's ``article_support`` and
    ``statement_support`` before each question is asked; without ``forms`` statements get
    ``article_support`` like questions (the ranking from before query forms). ``coverage``
    (when given) is set as the engine's ``coverage`` (``retrieval.coverage``) likewise, and
    ``asked_weight`` as its ``asked_weight`` (``retrieval.asked_noun``), and ``proximity`` as
    its ``proximity`` (``retrieval.rerank``).
    """
    from retrieval.engine import MAX_QUERY_CHARS

    fields = {"title_weight": title_weight} if title_weight else {}
    ask = engine_ask(evaluation, dated)
    changed = (support, statement_support, coverage, asked_weight, proximity)
    if any(value is not None for value in changed) or not forms:
        plain = ask

        def ask(engine: Any, query: Any, k: int) -> Any:
            if support is not None:
                engine.article_support = support
            if statement_support is not None:
                engine.statement_support = statement_support
            if not forms:
                engine.statement_support = engine.article_support
            if coverage is not None:
                engine.coverage = coverage
            if asked_weight is not None:
                engine.asked_weight = asked_weight
            if proximity is not None:
                engine.proximity = proximity
            return plain(engine, query, k)

    report = evaluation.evaluate(data, scorer=scorer, ask=ask, **fields)
    row = evaluation.report_dict(report)
    row["engine"] = f"ours ({scorer}" + (f", title weight {title_weight:g}" if fields else "")
    row["engine"] += "" if support is None else f", article support {support:g}"
    row["engine"] += "" if statement_support is None else f", statements {statement_support:g}"
    row["engine"] += "" if forms else ", without forms"
    row["engine"] += "" if coverage is None else f", coverage {coverage:g}"
    row["engine"] += "" if asked_weight is None else f", asked noun {asked_weight:g}"
    row["engine"] += "" if proximity is None else f", proximity {proximity:g}"
    row["engine"] += ")"
    row["retrieval"] = str(Path(inspect.getfile(evaluation.Engine)).parent)
    row["long_queries"] = sum(len(q.text.strip()) > MAX_QUERY_CHARS for q in data.queries)
    return row


def reference_passages(title: str, text: str) -> list[str]:
    """Paragraphs joined or split into passages of 50-200 words, each with the title first."""
    chunks: list[list[str]] = []
    current: list[str] = []
    for paragraph in text.split("\n"):
        current += paragraph.split()
        while len(current) >= MAX_WORDS:
            chunks.append(current[:MAX_WORDS])
            current = current[MAX_WORDS:]
        if len(current) >= MIN_WORDS:
            chunks.append(current)
            current = []
    if current:
        if chunks and len(chunks[-1]) + len(current) <= MAX_WORDS:
            chunks[-1] = chunks[-1] + current
        else:
            chunks.append(current)
    head = f"{title}\n" if title else ""
    return [head + " ".join(words) for words in chunks]


class PostingScorer:
    """``BM25Okapi.get_scores`` computed from the model's own statistics, over postings only.

    rank_bm25 looks every query term up in every passage's dict (a second per query on
    rtqa_news_2024); summing the same expression over the passages that hold the term gives
    the same scores, which ``check`` confirms against ``get_scores`` itself.
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for doc, frequencies in enumerate(model.doc_freqs):
            for term, tf in frequencies.items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(doc)
                tfs.append(tf)
        self.postings = {
            term: (np.array(docs), np.array(tfs, dtype=np.float64))
            for term, (docs, tfs) in postings.items()
        }
        doc_len = np.array(model.doc_len)
        self.norm = model.k1 * (1 - model.b + model.b * doc_len / model.avgdl)

    def scores(self, query: Sequence[str]) -> Any:
        """The score of every passage for ``query`` (repeated terms count each time)."""
        model = self.model
        out = np.zeros(model.corpus_size)
        for term in query:
            if term in self.postings:
                docs, tf = self.postings[term]
                idf = model.idf.get(term) or 0
                out[docs] += idf * (tf * (model.k1 + 1) / (tf + self.norm[docs]))
        return out

    def check(self, queries: Sequence[Sequence[str]]) -> float:
        """The largest absolute difference from ``get_scores`` over ``queries``."""
        worst = 0.0
        for query in queries:
            fast, slow = self.scores(query), self.model.get_scores(list(query))
            worst = max(worst, float(np.max(np.abs(fast - slow), initial=0.0)))
        return worst


def reference(evaluation: ModuleType, data: Any) -> dict[str, Any]:
    """Plain ``rank_bm25.BM25Okapi`` on one set: the sets' README reference, measured here."""
    from rank_bm25 import BM25Okapi

    from retrieval.eval_metrics import Outcome, canonical_ids, score
    from retrieval.text import Analyzer

    analyzer = Analyzer("english")
    canon = canonical_ids(data.articles)
    texts: list[str] = []
    owners: list[str] = []
    started = time.perf_counter()
    for article in data.articles:
        for passage in reference_passages(article.title, article.text):
            texts.append(passage)
            owners.append(canon[article.id])
    tokens = [analyzer.terms(text) for text in texts]
    scorer = PostingScorer(BM25Okapi(tokens))  # token lists: a tokenizer starts a process pool
    ingest_seconds = time.perf_counter() - started
    queries = [analyzer.terms(query.text) for query in data.queries]
    ids = np.arange(len(texts))
    outcomes = []
    started = time.perf_counter()
    for terms in queries:
        scores = scorer.scores(terms)
        order = np.lexsort((ids, -scores))  # ties to the earlier passage, zero is no result
        top = [int(i) for i in order[:1000] if scores[i] > 0]
        articles = tuple(dict.fromkeys(owners[i] for i in top))[: evaluation.K]
        shown = tuple(texts[i] for i in top[: evaluation.K])
        outcomes.append(Outcome(articles, shown, (), refused=not terms))
    search_seconds = time.perf_counter() - started
    metrics = score(data, outcomes)
    report = evaluation.Report(
        data.name, len(data.articles), 0, len(texts), len(data.queries),
        sum(o.refused for o in outcomes), ingest_seconds, search_seconds,
        {name: e for name, e in metrics.items() if "excerpt" not in name},
    )  # fmt: skip
    row = evaluation.report_dict(report)
    row["engine"] = "BM25Okapi, 50-200 words"
    row["long_queries"] = 0
    row["max_diff"] = scorer.check(queries[:CHECKED])
    return row


def cell(row: dict[str, Any], metric: str) -> str:
    """``0.671 ± 0.020``, or a dash where the metric does not apply."""
    found = row.get("metrics", {}).get(metric)
    if not found or found["mean"] is None:
        return "–"
    half = found.get("ci95")
    return f"{found['mean']:.3f}" + ("" if half is None else f" ± {half:.3f}")


def half_of(data: Any, half: str | None) -> Any:
    """``data`` with only its ``even`` or ``odd`` questions (0-based, in file order), or all.

    Tune on one half, check on the other: a change that only fits the questions it was tuned
    on shows up as a gain on one half and none on the other.
    """
    if half is None:
        return data
    return replace(data, queries=data.queries[0 if half == "even" else 1 :: 2])


def read_data(name: str, limit: int, title_in_text: bool, half: str | None = None) -> Any:
    """One eval set, its first ``limit`` queries (of a ``half``); titles optionally prepended."""
    from retrieval.eval_sets import read_set

    data = half_of(read_set(need_eval() / name, limit=limit), half)
    if title_in_text:
        articles = tuple(
            replace(a, text=f"{a.title}\n\n{a.text}") if a.title else a for a in data.articles
        )
        data = replace(data, articles=articles)
    return data


def run_before(revision: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Our rows with the engine as it is at ``revision``, from a child process.

    The revision's ``retrieval`` package is extracted with ``git archive`` into a temporary
    folder put first on the child's path; the bench and the evaluation code are this tree's.
    """
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "retrieval"],
            check=True, capture_output=True,
        ).stdout  # fmt: skip
    except subprocess.CalledProcessError as error:
        sys.exit(f"bench: cannot read revision {revision!r}: {error.stderr.decode().strip()}")
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-before-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder)  # our own repository's files  # noqa: S202
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([folder, str(ROOT)]))
        command = [
            sys.executable, "-m", "bench.quality", "--json", "--engine-only",
            "--sets", args.sets, "--scorers", args.scorers, "--limit", str(args.limit),
            "--as-of", args.as_of,
            "--title-weight", "0",
        ] + (["--title-in-text"] if args.title_in_text else [])  # fmt: skip
        command += ["--half", args.half] if args.half else []
        # The child starts in the folder: the current directory comes first on its path.
        child = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if child.returncode != 0:
        sys.exit(f"bench: the run at {revision} failed:\n{child.stderr.strip()}")
    rows: list[dict[str, Any]] = json.loads(child.stdout)
    for row in rows:
        if not row["retrieval"].startswith(folder):
            sys.exit(f"bench: the run at {revision} used {row['retrieval']}, not that revision")
        row["engine"] = f"{row['engine']} at {revision} ({commit})"
    return rows


def sanity_rows() -> list[list[str]]:
    """On 1-, 2- and 3-passage corpora, is a passage holding the query term returned?"""
    from retrieval.engine import Engine
    from retrieval.models import Article

    texts = [
        "Ukraine asks its allies for more air defence systems before winter.",
        "Farmers in France block roads to protest against fuel taxes.",
        "The central bank held interest rates steady for a third month.",
    ]
    rows = []
    for n in (1, 2, 3):
        for where in ("every passage", "one passage")[: 1 if n == 1 else 2]:
            corpus = [
                t if i == 0 or where == "one passage" else f"Ukraine: {t}"
                for i, t in enumerate(texts[:n])
            ]
            cells = [f"{n}", where]
            for scorer in ("lucene", "okapi"):
                engine = Engine.open(":memory:", scorer=scorer)
                engine.ingest(Article(f"t{i}", t, id=f"a{i}") for i, t in enumerate(corpus))
                hits = engine.search("Ukraine", k=10).hits
                engine.close()
                holding = sum("ukraine" in t.lower() for t in corpus)
                cells.append(f"{'yes' if hits else 'NO'} ({len(hits)}/{holding})")
            rows.append(cells)
    return rows


def print_report(rows: Sequence[dict[str, Any]], names: Sequence[str], args: Any) -> None:
    """The Markdown report: figures per set and engine, then sizes and times."""
    headers = ("set", "engine", "queries", *(short for _, short in COLUMNS))
    body: list[list[object]] = []
    for name in names:
        for row in (r for r in rows if r["set"] == name):
            body.append([name, row["engine"], row["queries"], *(cell(row, m) for m, _ in COLUMNS)])
        if name in README_REFERENCE:
            figures = README_REFERENCE[name]
            cells = [f"{figures[m]:.3f}" if m in figures else "" for m, _ in COLUMNS]
            body.append([name, "sets' README reference", "", *cells])
    print(markdown_table(headers, body))
    print()
    detail = [
        [r["set"], r["engine"], r["articles"], r["passages"], r["duplicates"], r["refused"],
         r["long_queries"], f"{r['ingest_seconds']:.1f}", f"{r['search_ms']:.2f}"]
        for r in rows
    ]  # fmt: skip
    print(
        markdown_table(
            ("set", "engine", "articles", "passages", "dup dropped", "refused q",
             "related q", "ingest s", "search ms"),
            detail,
        )
    )  # fmt: skip
    for r in rows:
        if "max_diff" in r:
            print(f"\n{r['set']}: BM25Okapi scores from postings differ from get_scores by at "
                  f"most {r['max_diff']:.1e} on {CHECKED} queries.")  # fmt: skip
    titles = "prepended to the text" if args.title_in_text else "passed only as Article.title"
    print(
        f"\nOur corpus: titles {titles}. Refused queries and queries with no result count as "
        "misses; 'related q' are queries over the 500-character question limit, searched for "
        "related briefings by their 20 most telling terms (the bot's behaviour for a paste)."
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse flags, evaluate every set with our engine and the reference, print the report."""
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__)
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated eval sets")
    parser.add_argument("--scorers", default=",".join(SCORERS), help="our scorers: lucene,okapi")
    parser.add_argument("--limit", type=int, default=0, help="only the first N queries per set")
    parser.add_argument("--quick", action="store_true", help="smoke run: --limit 200")
    parser.add_argument("--half", choices=["even", "odd"], help="only that half of the questions")
    parser.add_argument("--before", metavar="REV", help="also run the engine at git revision REV")
    parser.add_argument("--no-reference", action="store_true", help="skip BM25Okapi")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument(
        "--title-weight",
        type=float,
        default=None,
        help="our title field's weight (default: the shipped one; 0 keeps titles in passages)",
    )
    parser.add_argument(
        "--article-support",
        type=float,
        default=None,
        help="weight of an article's second-best passage (default: the shipped one; 0 is off)",
    )
    parser.add_argument(
        "--statement-support",
        type=float,
        default=None,
        metavar="W",
        help="weight for queries that read as statements (default: the shipped one)",
    )
    parser.add_argument(
        "--without-forms",
        action="store_true",
        help="statements rank like questions, with --article-support (before query forms)",
    )
    parser.add_argument(
        "--coverage",
        type=float,
        default=None,
        metavar="A",
        help="questions' coverage weight (retrieval.coverage; default: the shipped one, 0 off)",
    )
    parser.add_argument(
        "--asked-weight",
        type=float,
        default=None,
        metavar="W",
        help="factor on a question's asked noun (retrieval.asked_noun; default: the shipped one)",
    )
    parser.add_argument(
        "--proximity",
        type=float,
        default=None,
        metavar="W",
        help="weight of the best passages' word proximity (retrieval.rerank; default: shipped)",
    )
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--title-in-text", action="store_true", help="prepend each title to its text (experiment)"
    )
    parser.add_argument(
        "--as-of", choices=["question", "now"], default="question",
        help=f"'today' of the questions of {', '.join(DATED_SETS)}: their date (default) or now",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.quick and not args.limit:
        args.limit = 200
    names = [name for name in args.sets.split(",") if name]
    scorers = [scorer for scorer in args.scorers.split(",") if scorer]
    evaluation = load_evaluation()
    if args.title_weight is None:
        from retrieval.titles import TITLE_WEIGHT

        args.title_weight = TITLE_WEIGHT
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for name in names:
        data = read_data(name, args.limit, args.title_in_text, args.half)
        dated = name in DATED_SETS and args.as_of == "question"
        rows += [
            ours(evaluation, data, scorer, dated, args.title_weight, args.article_support,
                 args.statement_support, not args.without_forms, args.coverage,
                 args.asked_weight, args.proximity)
            for scorer in scorers
        ]  # fmt: skip
        if not (args.engine_only or args.no_reference):
            rows.append(reference(evaluation, data))
        print(f"{name}: done after {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.before:
        rows += run_before(args.before, args)
        rows.sort(key=lambda row: names.index(row["set"]))
    if args.json:
        print(json.dumps(rows))
        return
    print("## Answer quality (article level, k=10, 95% intervals)\n")
    print(machine_report() + "\n")
    print_report(rows, names, args)
    print(f"\nWall time {math.ceil(time.perf_counter() - started)} s.\n")
    print("Sanity: does a passage holding the query term come back? (hits/passages holding it)\n")
    print(markdown_table(("passages", "term in", "lucene", "okapi"), sanity_rows()))


if __name__ == "__main__":
    main()
