"""A running bot on the fake network, and the briefings the bot tests search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram_fakes import FakeBotApi, RecordingRequest

from bot.app import BriefApp, build_application
from bot.context import Services, services_in
from bot.settings import Settings
from retrieval.engine import Engine
from retrieval.models import Article

LONG_TEXT = "\n\n".join(
    f"Paragraph {n} of the aid report. Ministers discussed weapons deliveries to Ukraine "
    f"and the cost of artillery shells in round {n}. " + "Officials gave more details. " * 12
    for n in range(1, 6)
)

ARTICLES = (
    Article(
        title="Blinken Reaffirms U.S. Commitment To Send More Weapons To Ukraine",
        text=(
            "U.S. Secretary of State Antony Blinken says Washington will send Ukraine more "
            "weapons. He spoke at NATO headquarters in Brussels.\n\nRussia must decide if it "
            "wants meaningful diplomacy, Blinken said."
        ),
        date=datetime(2022, 4, 7, 12, 0, tzinfo=UTC),
        url="https://example.org/a/blinken?x=1&y=2",
        source="RFE/RL",
    ),
    Article(
        title="Aid report <draft> & notes",
        text=LONG_TEXT,
        date=datetime(2022, 4, 9, tzinfo=UTC),
        url="https://example.org/aid",
        source="Desk & Co",
    ),
    Article(
        title="Grain exports resume",
        text="Ships carrying grain left Odesa. The weapons of hunger are prices, traders said.",
        source="Wire",
    ),
    Article(
        title="Harvest weather",
        text="Farmers expect rain in May. Wheat prices fell on the news.",
        date=datetime(2022, 4, 1, tzinfo=UTC),
    ),
)


class Bot:
    """An initialised application on the fake network, plus helpers to feed it updates."""

    def __init__(self, app: BriefApp, api: FakeBotApi) -> None:
        self.app = app
        self.api = api

    @property
    def services(self) -> Services:
        return services_in(self.app.bot_data)

    async def send(self, update: dict[str, Any]) -> None:
        """Process one update exactly as polling would hand it over."""
        await self.app.process_update(Update.de_json(update, self.app.bot))

    def texts(self) -> list[str]:
        """Every text the bot sent or edited, oldest first."""
        methods = {"sendMessage", "editMessageText"}
        return [c.params["text"] for c in self.api.calls if c.method in methods]


async def start_bot(settings: Settings, engine: Engine, api: FakeBotApi) -> AsyncIterator[Bot]:
    """Build, initialise and finally shut down an app; the bot's tables are closed too."""
    request = RecordingRequest(api)
    app = build_application(settings, engine, request=request, get_updates_request=request)
    async with app:
        yield Bot(app, api)
    services_in(app.bot_data).close()
