"""Payments without money: invoices, shipping and pre-checkout answers (userside pays)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import JSONDict, Params, SentMessage, Upload, bad_request
from .registry import method

if TYPE_CHECKING:
    from .methods import BotState

INVOICE = ("title", "description", "payload", "currency", "prices")


def _invoice(p: Params) -> JSONDict:
    title, description = p.text("title") or "", p.text("description") or ""
    if not 1 <= len(title) <= 32:
        raise bad_request("INVOICE_TITLE_INVALID" if title else "title is empty")
    if not 1 <= len(description) <= 255:
        raise bad_request("INVOICE_DESCRIPTION_INVALID")
    payload = p.text("payload") or ""
    if not 1 <= len(payload.encode()) <= 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    currency = p.text("currency") or ""
    if len(currency) != 3 or not currency.isupper():
        raise bad_request("CURRENCY_INVALID")
    prices = p.obj("prices")
    if not isinstance(prices, list) or not prices:
        raise bad_request("prices must be non-empty")
    if not all(isinstance(x, dict) and isinstance(x.get("amount"), int) for x in prices):
        raise bad_request("can't parse prices JSON object")
    flexible = p.flag("is_flexible")
    if flexible and not p.flag("need_shipping_address"):
        raise bad_request("FLEXIBLE_INVOICE_REQUIRES_SHIPPING_ADDRESS")  # as Telegram says
    return {
        "title": title,
        "description": description,
        "currency": currency,
        "total_amount": sum(int(x["amount"]) for x in prices),
        "start_parameter": p.text("start_parameter") or "",
        "payload": payload,
        "is_flexible": flexible,
        "need": [
            n for n in ("name", "phone_number", "email", "shipping_address") if p.flag(f"need_{n}")
        ],
    }


@method("sendInvoice", required=("chat_id", *INVOICE))
def send_invoice(state: BotState, p: Params, f: dict[str, Upload]) -> JSONDict:
    chat = state._known_chat(p)
    invoice = _invoice(p)
    public = {k: invoice[k] for k in ("title", "description", "currency", "total_amount")}
    public["start_parameter"] = invoice["start_parameter"]
    shown = SentMessage(0, 0, invoice["title"], kind="invoice")
    message = state._store(chat, p, {"invoice": public}, shown)
    state.invoices[chat["id"], message["message_id"]] = invoice  # what a user pays
    return message


@method("createInvoiceLink", required=INVOICE)
def create_invoice_link(state: BotState, p: Params, f: dict[str, Upload]) -> str:
    _invoice(p)
    return f"https://t.me/$offline-invoice-{next(state._ids)}"


def _answer(state: BotState, query_id: str, kind: str, answer: dict[str, Any]) -> bool:
    query = state._queries.get(query_id)
    if query is None or query.get("kind") != kind or query["answered"]:
        raise bad_request("QUERY_ID_INVALID")
    if not answer["ok"] and not answer.get("error_message"):
        raise bad_request("ERROR_MESSAGE_EMPTY" if kind == "shipping" else "error_message empty")
    query["answered"] = True
    state.payment_answers[query_id] = answer
    state._changed()
    return True


@method("answerShippingQuery", required=("shipping_query_id", "ok"))
def answer_shipping_query(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    options = p.obj("shipping_options")
    if p.flag("ok") and not (isinstance(options, list) and options):
        raise bad_request("SHIPPING_OPTIONS_EMPTY")
    answer = {
        "ok": p.flag("ok"),
        "shipping_options": options,
        "error_message": p.text("error_message"),
    }
    return _answer(state, p.text("shipping_query_id") or "", "shipping", answer)


@method("answerPreCheckoutQuery", required=("pre_checkout_query_id", "ok"))
def answer_pre_checkout_query(state: BotState, p: Params, f: dict[str, Upload]) -> bool:
    answer = {"ok": p.flag("ok"), "error_message": p.text("error_message")}
    return _answer(state, p.text("pre_checkout_query_id") or "", "pre_checkout", answer)
