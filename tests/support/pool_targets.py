"""Stand-in worker processes for bot.pool tests: they speak the link protocol and no more.

Each writes every message it receives, one JSON line each, to the file named by the
``db_path`` of the settings it is given, so a test can see what reached which worker.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from bot.settings import Settings


def _send(link: socket.socket, message: dict[str, object]) -> None:
    link.sendall(json.dumps(message).encode() + b"\n")


def echo(settings: Settings, number: int, link: socket.socket) -> None:
    """Answer every update at once and report 0.25 s for it; exit when the stream ends."""
    log = Path(f"{settings.db_path}.{number}")
    _send(link, {"ready": True})
    with link.makefile("rb") as stream, log.open("a") as out:
        for line in stream:
            message = json.loads(line)
            out.write(json.dumps(message) + "\n")
            out.flush()
            if "update" in message:
                _send(link, {"answered": 0.25})
                _send(link, {"done": message["update"]["update_id"]})


def die_on_update(settings: Settings, number: int, link: socket.socket) -> None:
    """Crash on the first update, before answering it (as a worker killed mid-answer would)."""
    log = Path(f"{settings.db_path}.{number}")
    with log.open("a") as out:
        out.write("started\n")
    _send(link, {"ready": True})
    with link.makefile("rb") as stream:
        for line in stream:
            if "update" in json.loads(line):
                sys.exit(3)
