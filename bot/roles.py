"""The roles a Briefbot process can play, and what each one is made of.

================  ====================  ==================  ============================
role              updates come from     answers             background work (polls,
                                                            alerts, catch-up)
================  ====================  ==================  ============================
``SINGLE``        long polling          itself              itself
``PARENT``        long polling          its workers (an     itself, and it tells the
                                        admin's: itself)    workers what it ingested
``WORKER``        its parent, over a    itself              none: no updater, no job
                  socket pair                               queue, no source tracker
``WEBHOOK``       Telegram's POSTs to   itself              itself
                  its HTTP server
================  ====================  ==================  ============================

``bot.runtime`` picks the role from the settings and builds, starts and stops each;
``bot.app.build_application`` builds an application for a role. A role is a fact about the
process, not a set of flags: everything else follows from it.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["Role"]


class Role(Enum):
    """What one process does; see the module's table."""

    SINGLE = "single process"
    PARENT = "polling parent"
    WORKER = "worker"
    WEBHOOK = "webhook server"

    @property
    def has_updater(self) -> bool:
        """Whether updates reach it from Telegram (polling or webhook) through PTB's Updater."""
        return self is not Role.WORKER

    @property
    def polls(self) -> bool:
        """Whether it long-polls ``getUpdates``."""
        return self in (Role.SINGLE, Role.PARENT)

    @property
    def runs_background(self) -> bool:
        """Whether it polls sources, sends alerts and catches up with the store (job queue)."""
        return self is not Role.WORKER

    @property
    def forwards(self) -> bool:
        """Whether it hands updates to worker processes (and so owns a ``bot.pool.Pool``)."""
        return self is Role.PARENT
