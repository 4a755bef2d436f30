"""Inline mode: answerInlineQuery, checked as Telegram checks it (50 results, unique ids)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import JSONDict, Params, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

MAX_RESULTS = 50
RESULT_TYPES = {
    "article",
    "photo",
    "gif",
    "mpeg4_gif",
    "video",
    "audio",
    "voice",
    "document",
    "location",
    "venue",
    "contact",
    "game",
    "sticker",
}
EXPIRED = "query is too old and response timeout expired or query ID is invalid"


def check_results(results: object) -> list[JSONDict]:
    if not isinstance(results, list):
        raise bad_request("results must be a JSON array")
    if len(results) > MAX_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or result.get("type") not in RESULT_TYPES:
            raise bad_request("RESULT_TYPE_INVALID")
        result_id = str(result.get("id", ""))
        if not 1 <= len(result_id.encode()) <= 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            if not str(content["message_text"]).strip():
                raise bad_request("MESSAGE_EMPTY")
            if len(str(content["message_text"])) > 4096:
                raise bad_request("MESSAGE_TOO_LONG")
    return results


@method("answerInlineQuery", required=("inline_query_id", "results"))
def answer_inline_query(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    query_id = p.text("inline_query_id") or ""
    query = state._queries.get(query_id)
    if query is None or query.get("kind") != "inline" or query["answered"]:
        raise bad_request(EXPIRED)
    results = check_results(p.obj("results"))
    query["answered"] = True
    state.inline_answers[query_id] = {
        "results": results,
        "next_offset": p.text("next_offset") or "",
        "cache_time": p.integer("cache_time"),
        "is_personal": p.flag("is_personal"),
        "button": p.obj("button"),
    }
    state._changed()
    return True
