"""What users do besides posting: vote, query inline, join and leave groups.

Like the posts, each queues the update Telegram would send.
"""

from __future__ import annotations

import time
from typing import Any

from .chats import member, status_of
from .model import JSONDict
from .user_messages import ALICE
from .user_payments import UserPayments


class UserEvents(UserPayments):
    """Votes, inline queries, membership changes and payments, from the users' side."""

    def vote(
        self,
        message_id: int,
        option_ids: list[int],
        *,
        user_id: int = ALICE,
        chat_id: int | None = None,
        first_name: str = "Alice",
    ) -> int:
        """A user votes in the poll shown in message `message_id` (an empty list retracts).

        The bot gets a `poll_answer` for a non-anonymous poll and, for its own polls, the
        poll's new state as a `poll` update, as Telegram sends them.
        """
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            message = self._messages.get((chat["id"], message_id))
            if message is None or "poll" not in message:
                raise LookupError(f"no poll in message {message_id} of chat {chat['id']}")
            poll = message["poll"]
            if poll["is_closed"]:
                raise LookupError("the poll is closed")
            if any(not 0 <= i < len(poll["options"]) for i in option_ids) or (
                len(option_ids) > 1 and not poll["allows_multiple_answers"]
            ):
                raise LookupError(f"options {option_ids} can't be chosen in this poll")
            known = self.polls.setdefault(poll["id"], {"poll": poll, "votes": {}})
            votes: dict[int, list[int]] = known["votes"]
            for index in votes.pop(user_id, []):
                poll["options"][index]["voter_count"] -= 1
            if option_ids:
                votes[user_id] = list(option_ids)
                for index in option_ids:
                    poll["options"][index]["voter_count"] += 1
            poll["total_voter_count"] = len(votes)
            update_id = 0
            if not poll["is_anonymous"]:
                answer = {
                    "poll_id": poll["id"],
                    "user": user,
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [str(i) for i in option_ids],
                }
                update_id = self._push_update({"poll_answer": answer})
            if known.get("by_bot"):
                update_id = self._push_update({"poll": poll})
            return update_id

    def inline_query(
        self, query: str, *, user_id: int = ALICE, first_name: str = "Alice", offset: str = ""
    ) -> str:
        """A user types `@bot query`; returns the query id to await the answer with."""
        with self._cond:
            query_id = str(next(self._ids) * 7927)
            self._queries[query_id] = {"answered": False, "kind": "inline", "query": query}
            self._push_update(
                {
                    "inline_query": {
                        "id": query_id,
                        "from": self._user(user_id, first_name),
                        "query": query,
                        "offset": offset,
                        "chat_type": "sender",
                    }
                }
            )
            return query_id

    def wait_for_inline_answer(self, query_id: str, *, timeout: float = 10.0) -> JSONDict:
        """The bot's answerInlineQuery for `query_id` (results, next_offset, ...)."""
        found: JSONDict | None = self.wait_until(
            lambda: self.inline_answers.get(query_id), timeout
        )
        if found is None:
            raise AssertionError(f"the bot did not answer inline query {query_id} in {timeout}s")
        return found

    def choose_inline_result(
        self, query_id: str, result_id: str, *, user_id: int = ALICE, first_name: str = "Alice"
    ) -> int:
        """A user picks result `result_id` of an answered inline query."""
        with self._cond:
            answer = self.inline_answers.get(query_id, {"results": []})
            if result_id not in [str(r.get("id")) for r in answer["results"]]:
                raise LookupError(f"no result {result_id!r} in the answer to {query_id}")
            chosen = {
                "result_id": result_id,
                "from": self._user(user_id, first_name),
                "query": self._queries[query_id]["query"],
            }
            return self._push_update({"chosen_inline_result": chosen})

    def join(
        self,
        chat_id: int,
        *,
        user_id: int = ALICE,
        first_name: str = "Alice",
        status: str = "member",
        by: int | None = None,
    ) -> int:
        """A user joins (or is added to, `by` someone) group `chat_id`, or changes status.

        Telegram sends `chat_member` only to bots that administer the group; it changes the
        membership either way. The bot itself joining is `set_bot_status`.
        """
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            actor = user if by is None else self._users[by]
            old = member(self, chat, user_id)
            self.members.setdefault(chat_id, {})[user_id] = status
            if status_of(self, chat, self.bot_user["id"]) != "administrator":
                return 0
            return self._push_update(
                {"chat_member": _changed(chat, actor, old, member(self, chat, user_id))}
            )

    def leave(
        self,
        chat_id: int,
        *,
        user_id: int = ALICE,
        first_name: str = "Alice",
        by: int | None = None,
    ) -> int:
        """A user leaves group `chat_id` (or is removed `by` someone)."""
        return self.join(chat_id, user_id=user_id, first_name=first_name, status="left", by=by)

    def set_bot_status(
        self, chat_id: int, status: str, *, user_id: int = ALICE, first_name: str = "Alice"
    ) -> int:
        """A user adds the bot to a group ("member", "administrator"), removes it ("left"),
        or in a private chat blocks ("kicked") or unblocks ("member") it: `my_chat_member`."""
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            bot_id = self.bot_user["id"]
            old = member(self, chat, bot_id)
            if chat["type"] == "private":
                old = member(self, chat, bot_id, self.members.get(chat["id"], {}).get(bot_id))
            self.members.setdefault(chat["id"], {})[bot_id] = status
            new = member(self, chat, bot_id, status)
            return self._push_update({"my_chat_member": _changed(chat, user, old, new)})


def _changed(chat: JSONDict, actor: JSONDict, old: JSONDict, new: JSONDict) -> dict[str, Any]:
    return {
        "chat": chat,
        "from": actor,
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
