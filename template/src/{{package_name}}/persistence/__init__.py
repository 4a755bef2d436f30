"""Persistence: builds the store chosen at `copier copy` (placeholder until the backends land)."""

from __future__ import annotations

from typing import Any

from telegram.ext import BasePersistence, PicklePersistence

from ..settings import Settings


class StoreError(RuntimeError):
    """The store cannot be used; the message names it and says what to do."""


def build_persistence(settings: Settings) -> BasePersistence[Any, Any, Any]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return PicklePersistence(
        settings.data_dir / "bot.pickle", update_interval=settings.persistence_interval
    )
