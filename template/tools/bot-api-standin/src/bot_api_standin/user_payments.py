"""Paying an invoice without money, as a Telegram client walks a user through checkout.

`pay` sends the shipping query (flexible invoices) and the pre-checkout query, waits for the
bot's answers to each, and then posts the `successful_payment` message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from .model import JSONDict
from .user_messages import ALICE, UserMessages

T = TypeVar("T")


class PaymentRefusedError(AssertionError):
    """The bot answered a shipping or pre-checkout query with ok=False (or not at all)."""


class UserPayments(UserMessages):
    """The users' side of payments."""

    if TYPE_CHECKING:  # FakeBotAPI's

        def wait_until(self, predicate: Callable[[], T | None], timeout: float) -> T | None: ...

    def pay(
        self,
        message_id: int,
        *,
        user_id: int = ALICE,
        chat_id: int | None = None,
        first_name: str = "Alice",
        shipping_option: str | None = None,
        timeout: float = 10.0,
    ) -> int:
        """Pay the invoice in message `message_id` (no money moves): a shipping query if the
        invoice is flexible, then the pre-checkout query, then `successful_payment`.

        Raises PaymentRefusedError with the bot's error_message if it declines a step.
        """
        with self._cond:
            user = self._user(user_id, first_name)
            chat = self._chat_for(user, chat_id)
            invoice = self.invoices.get((chat["id"], message_id))
            if invoice is None:
                raise LookupError(f"no invoice in message {message_id} of chat {chat['id']}")
        order: JSONDict = {
            "name": first_name,
            "phone_number": "+10000000000",
            "email": "user@example.test",
        }
        address = {
            "country_code": "US",
            "state": "CA",
            "city": "Springfield",
            "street_line1": "1 Main St",
            "street_line2": "",
            "post_code": "12345",
        }
        order = {k: v for k, v in order.items() if k in invoice["need"]}
        if "shipping_address" in invoice["need"]:
            order["shipping_address"] = address
        total = invoice["total_amount"]
        body = {"from": user, "invoice_payload": invoice["payload"]}
        if invoice["is_flexible"]:
            answer = self._ask("shipping_query", {**body, "shipping_address": address}, timeout)
            options = answer["shipping_options"]
            chosen = next((o for o in options if shipping_option in (None, o["id"])), None)
            if chosen is None:
                raise LookupError(f"no shipping option {shipping_option!r} in {options}")
            shipping_option = chosen["id"]
            total += sum(int(price["amount"]) for price in chosen["prices"])
        checkout = {**body, "currency": invoice["currency"], "total_amount": total}
        if shipping_option is not None:
            checkout["shipping_option_id"] = shipping_option
        if order:
            checkout["order_info"] = order
        self._ask("pre_checkout_query", checkout, timeout)
        paid = {k: v for k, v in checkout.items() if k not in ("from",)}
        paid |= {
            "telegram_payment_charge_id": f"offline-charge-{time.time_ns()}",
            "provider_payment_charge_id": "offline-provider-charge",
        }
        return self.post(
            {"successful_payment": paid}, user_id=user_id, chat_id=chat_id, first_name=first_name
        )

    def _ask(self, kind: str, body: JSONDict, timeout: float) -> JSONDict:
        with self._cond:
            query_id = str(next(self._ids) * 7933)
            self._queries[query_id] = {"answered": False, "kind": kind.removesuffix("_query")}
            self._push_update({kind: {"id": query_id, **body}})
        answer: JSONDict | None = self.wait_until(
            lambda: self.payment_answers.get(query_id), timeout
        )
        if answer is None or not answer["ok"]:
            why = answer["error_message"] if answer else f"no answer within {timeout}s"
            raise PaymentRefusedError(f"the bot declined the {kind}: {why}")
        return answer
