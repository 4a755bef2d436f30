"""What a store holds (`Stored`) and what a save hands it (`Batch`), in PTB's types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# PTB keeps these aliases in a private module; ours say the same.
Data = dict[Any, Any]
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
BatchKey = tuple[str, str, Any]
"""(kind, conversation name or "", key): kind is user_data, chat_data, bot_data, callback_data,
conversations, delivery or jobs; bot_data, callback_data and delivery have the key ""."""
Batch = dict[BatchKey, Any]
"""Changes since the last write: the new value, or None to delete."""


class StoreError(RuntimeError):
    """The store cannot be used; the message names it and says what to do."""


@dataclass
class Stored:
    """Everything a store holds, as PTB wants it back at start."""

    user_data: dict[int, Data] = field(default_factory=dict)
    chat_data: dict[int, Data] = field(default_factory=dict)
    bot_data: Data = field(default_factory=dict)
    callback_data: CDCData | None = None
    conversations: dict[str, ConversationDict] = field(default_factory=dict)
    delivery: list[int] = field(default_factory=list)  # write-through: the applied update ids
    jobs: dict[str, Any] = field(default_factory=dict)  # saved job specs by id (jobs.py)
