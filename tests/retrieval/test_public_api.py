"""``retrieval``'s public surface: exactly the names listed, each documented, and ``bot`` uses
nothing else."""

from __future__ import annotations

import ast
import inspect
import itertools
import pkgutil
import types
from pathlib import Path

import pytest

import retrieval

ROOT = Path(__file__).resolve().parents[2]

# Changing this list changes what callers may rely on: add a name deliberately, with its docs.
PUBLIC = [
    "ASKED_WEIGHT",
    "COVERAGE",
    "LANGUAGES",
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "MAX_RETRY",
    "MIN_SHARE",
    "PREFER_WEIGHT",
    "PROXIMITY",
    "RARITY_PRIOR",
    "RECENCY",
    "SCORERS",
    "STATEMENT_SUPPORT",
    "SUPPORT",
    "TITLE_WEIGHT",
    "Analyzer",
    "Article",
    "ArticleInfo",
    "BM25Params",
    "BriefbotError",
    "CitedPassage",
    "DateRange",
    "EmptyQueryError",
    "Engine",
    "EngineStats",
    "EvalSet",
    "Explanation",
    "Hit",
    "Index",
    "IndexCheck",
    "IndexLanguageError",
    "IngestSummary",
    "LoadReport",
    "Passage",
    "PollResult",
    "QueryError",
    "QueryTooLongError",
    "Recency",
    "Removed",
    "Report",
    "Retirement",
    "Scorer",
    "SearchResult",
    "Skipped",
    "SourceError",
    "SourceRow",
    "SourceState",
    "SourceStatus",
    "SourceTracker",
    "Span",
    "StopwordsOnlyError",
    "StoreError",
    "TooManyResultsError",
    "ask",
    "ask_dated",
    "connect",
    "create_tables",
    "describe_range",
    "evaluate",
    "explanation_lines",
    "load_feed",
    "load_jsonl",
    "load_location",
    "load_path",
    "load_text",
    "load_url",
    "past_cap",
    "read_set",
    "report_dict",
    "saved_rows",
    "transaction",
]


def _order(name: str) -> tuple[int, str]:
    """ruff's ``__all__`` order (RUF022): CONSTANTS, then Classes, then functions."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def _doc_after(node: ast.stmt) -> str:
    """The string a statement is, if it is a bare string (a doc string for the line above)."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        value = node.value.value
        if isinstance(value, str):
            return value
    return ""


def _attribute_docs() -> dict[str, str]:
    """Module-level names documented by a string right after their assignment, in retrieval."""
    docs: dict[str, str] = {}
    for path in sorted((ROOT / "retrieval").rglob("*.py")):
        body = ast.parse(path.read_text(encoding="utf-8")).body
        for node, after in itertools.pairwise(body):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and _doc_after(after):
                    docs[target.id] = _doc_after(after)
    return docs


def test_all_is_the_pinned_list_in_order() -> None:
    """``__all__`` holds exactly the pinned names, in ruff's sorted order."""
    assert retrieval.__all__ == PUBLIC
    assert sorted(PUBLIC, key=_order) == PUBLIC


def test_every_public_name_is_exported() -> None:
    """Every name the package defines for callers is in ``__all__`` (submodules are not)."""
    names = {
        name
        for name, value in vars(retrieval).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert names == set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_documented(name: str) -> None:
    """Each exported class and function has its own docstring; each constant a doc string."""
    value = getattr(retrieval, name)
    if inspect.isclass(value) or inspect.isfunction(value):
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    else:
        assert _attribute_docs().get(name, "").strip(), f"{name} has no doc string"


def _submodule_imports(source: str) -> list[str]:
    """Every ``retrieval.<submodule>`` some code imports, at any depth (functions too)."""
    submodules = {module.name for module in pkgutil.iter_modules(retrieval.__path__)}
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("retrieval.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("retrieval."):
                found.append(node.module)
            elif node.module == "retrieval":
                found += [f"retrieval.{a.name}" for a in node.names if a.name in submodules]
    return sorted(found)


def test_bot_imports_only_the_package() -> None:
    """No module of ``bot`` imports a ``retrieval`` submodule: only ``from retrieval import``."""
    reaching = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if (found := _submodule_imports(path.read_text(encoding="utf-8")))
    }
    assert reaching == {}


def test_the_import_check_sees_every_form() -> None:
    """Submodule imports inside functions, plain ``import`` and ``from retrieval import
    <module>`` are all found; names from the package itself are not."""
    source = (
        "from retrieval import Engine, sources\n"
        "def f():\n"
        "    from retrieval.engine import MAX_RESULTS\n"
        "    import retrieval.store\n"
    )
    assert _submodule_imports(source) == [
        "retrieval.engine",
        "retrieval.sources",
        "retrieval.store",
    ]
    assert _submodule_imports("from retrieval import Engine, QueryError\n") == []
