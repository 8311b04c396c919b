"""Opening the store the settings name, for the CLI and for every role of the running bot.

Kept apart from ``bot.cli`` (which imports no Telegram code) and ``bot.runtime`` (which does),
so a worker process opens its engine without importing the command line, and the command
line reads the store without loading the Telegram stack.
"""

from __future__ import annotations

from bot.settings import Settings
from retrieval import Engine, Recency


def open_engine(settings: Settings, *, read_only: bool = False) -> Engine:
    """Open the store named by the settings with the configured analysis and scorer.

    A read-only engine (a bot worker's) analyses in its own process: it only ever indexes the
    few passages another process just ingested, and a worker may not start processes. It runs
    no schema statement and cannot write the store.
    """
    return Engine.open(
        settings.db_path,
        language=settings.language,
        scorer=settings.scorer,
        max_query_chars=settings.max_query_chars,
        workers=1 if read_only else 2,
        read_only=read_only,
        recency=Recency(settings.recency_half_life_days, settings.recency_weight),
        title_weight=settings.title_weight,
        article_support=settings.article_support,
        statement_support=settings.statement_support,
        coverage=settings.coverage,
        asked_weight=settings.asked_weight,
        proximity=settings.proximity,
        date_preference=settings.date_preference,
        rarity_prior=settings.rarity_prior,
    )
