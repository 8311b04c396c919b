"""Readers' feedback on answers: 👍 / 👎 presses, "Why?" presses, /stats' share and the export.

A press is acted on only for whoever may see the stored query it names (``bot.state``), like
every other button: a forged or foreign one gets the expired notice and changes nothing. The
votes live in ``bot.votes``; the export (``briefbot feedback``) lists them with the query's
analysed terms (stems without stopwords, as the index holds them), never its text unless
``log_questions`` was on, and a salted hash instead of the voter's id.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.browse import STALE
from bot.buttons import PageButton, owner_of
from bot.context import BriefContext, Services
from bot.feedback_buttons import VoteButton, WhyButton, parse_feedback
from bot.handlers import log_answer
from bot.questions import parse_stored
from bot.state import Owner
from bot.votes import Share, Vote
from bot.why import why_text
from retrieval import (
    Engine,
    QueryError,
)

THANKS = {True: "Thanks: noted as helpful.", False: "Thanks: noted as not helpful."}
SAME = "You already said that; tap the other one to change your vote."


def cast_vote(services: Services, button: VoteButton, presser: Owner) -> bool | None:
    """Store ``presser``'s vote if they may see the query; None if not, else whether it
    changed anything (in a thread)."""
    stored = services.state.query(button.qid, presser)
    if stored is None:
        return None
    question = parse_stored(stored)[0] if services.settings.log_questions else None
    return services.votes.vote(button.qid, presser.user_id, button.rank, button.helpful, question)


def why_view(
    services: Services, button: WhyButton, presser: Owner
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The explanation of one result for whoever may see its query, else None (in a thread)."""
    engine = services.engine
    stored = services.state.stored(button.qid, presser)
    passage = engine.passage(button.passage_id) if stored is not None else None
    article = engine.article(passage.article_id) if passage is not None else None
    if stored is None or article is None:
        return None
    query, related_to = parse_stored(stored.text)
    try:
        explanation = engine.explain(
            query, button.passage_id, related=bool(related_to), as_of=stored.asked
        )
    except QueryError:
        return None  # the engine's rules changed since the query was stored
    if explanation is None:
        return None
    back = InlineKeyboardButton(
        "Back to results", callback_data=PageButton(button.qid, button.page).data()
    )
    return why_text(article, explanation), InlineKeyboardMarkup([[back]])


async def on_feedback(update: Update, context: BriefContext) -> None:
    """Answer a 👍 / 👎 press with a short notice, or a "Why?" press by showing the reasons."""
    started = time.perf_counter()
    press = update.callback_query
    if press is None:
        return
    services = context.services
    button = parse_feedback(press.data)
    presser = owner_of(update)
    if button is None or presser is None:
        await press.answer(STALE, show_alert=True)
        return
    if isinstance(button, VoteButton):
        changed = await asyncio.to_thread(cast_vote, services, button, presser)
        if changed is None:
            await press.answer(STALE, show_alert=True)
            return
        await press.answer(THANKS[button.helpful] if changed else SAME)
        log_answer(update, services, "vote", started, 0)
        return
    shown = await asyncio.to_thread(why_view, services, button, presser)
    if shown is None:
        await press.answer(STALE, show_alert=True)
        return
    text, markup = shown
    try:
        await press.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise
    await press.answer()
    log_answer(update, services, "why", started, 1)


def share_line(share: Share) -> str:
    """/stats' line: the share of answers readers found helpful over the last 7 days."""
    if share.fraction is None:
        return "Helpful answers (7 days): no votes yet"
    return (
        f"Helpful answers (7 days): {share.fraction:.0%} ({share.helpful} of {share.votes} votes)"
    )


@dataclass(frozen=True, slots=True)
class ExportedVote:
    """One vote as ``briefbot feedback`` shows it: anonymised, with the query's terms."""

    voter: str
    rank: int
    helpful: bool
    created: float
    terms: tuple[str, ...]  # the query's analysed terms; empty once the query was forgotten
    related: bool  # cast on briefings related to a forwarded or pasted message
    question: str | None  # only when the question was logged (log_questions)


def anonymised(engine: Engine, vote: Vote) -> ExportedVote:
    """``vote`` with its stored query replaced by the terms it searched for."""
    terms: tuple[str, ...] = ()
    related = False
    if vote.stored_text is not None:
        query, how = parse_stored(vote.stored_text)
        related = bool(how)
        try:
            terms = tuple(engine.query_terms(query, related=related))
        except QueryError:
            terms = ()
    return ExportedVote(
        vote.voter, vote.rank, vote.helpful, vote.created, terms, related, vote.question
    )
