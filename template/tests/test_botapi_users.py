"""What users do besides typing, and Telegram's checks, through a real telegram.Bot.

Every update the user side queues must parse into PTB's own classes with no field left over
(`api_kwargs`), and the bot's mistakes must come back as Telegram words them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from bot_api_standin.botapi import FAKE_TOKEN
from bot_api_standin.offline import OfflineRequest
from bot_api_standin.server import StandInServer
from bot_api_standin.user_payments import PaymentRefusedError
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LabeledPrice,
    ShippingOption,
    Update,
)
from telegram.error import BadRequest

ALICE, BOB, GROUP = 1001, 1002, -500
# Raw calls (do_api_request) are how a test sends what telegram.Bot's methods would refuse.
pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot")


@pytest.fixture(params=["http", "offline"])
async def bot(request: pytest.FixtureRequest, bot_api: StandInServer) -> AsyncIterator[Bot]:
    """A real telegram.Bot on the HTTP stand-in (and its file endpoint) or in-process."""
    if request.param == "http":
        client = Bot(
            FAKE_TOKEN,
            base_url=bot_api.base_url,
            base_file_url=bot_api.base_url.replace("/bot", "/file/bot"),
        )
    else:
        offline = OfflineRequest(bot_api.api)
        client = Bot(FAKE_TOKEN, request=offline, get_updates_request=offline)
    async with client:
        yield client


async def updates(bot: Bot) -> list[Update]:
    """The pending updates, confirmed, each checked to be exactly what PTB expects."""
    found = list(await bot.get_updates(timeout=0))
    if found:
        await bot.get_updates(offset=found[-1].update_id + 1, timeout=0)
    for update in found:
        assert update.api_kwargs == {}, update.api_kwargs
        message = update.effective_message
        assert message is None or message.api_kwargs == {}, message.api_kwargs
    return found


async def test_files_users_send_can_be_downloaded(bot: Bot, bot_api: StandInServer) -> None:
    bot_api.api.send_photo(b"\x89PNG picture bytes", caption="me")
    bot_api.api.send_document(b"a,b\n1,2\n", "data.csv", "text/csv")
    photo, document = [u.message for u in await updates(bot) if u.message]
    assert photo.caption == "me" and len(photo.photo) == 2
    assert (
        await (await photo.photo[-1].get_file()).download_as_bytearray()
        == b"\x89PNG picture bytes"
    )
    assert document.document is not None and document.document.file_name == "data.csv"
    file = await document.document.get_file()
    assert await file.download_as_bytearray() == b"a,b\n1,2\n"
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("no-such-file")


async def test_locations_contacts_replies_and_edits(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_location(52.52, 13.405)
    api.send_contact("+15550001", "Bob", contact_user_id=BOB)
    api.send_text("first", chat_id=GROUP)
    location, contact, first = [u.message for u in await updates(bot) if u.message]
    assert location.location is not None and location.location.latitude == 52.52
    assert contact.contact is not None and contact.contact.user_id == BOB
    said = await bot.send_message(GROUP, "noted", reply_to_message_id=first.message_id)
    assert said.reply_to_message is not None and said.reply_to_message.text == "first"
    api.reply(said.message_id, "thanks", user_id=BOB, first_name="Bob", chat_id=GROUP)
    api.edit_message(first.message_id, "first, edited", chat_id=GROUP)
    reply, edit = await updates(bot)
    assert reply.message is not None and reply.message.reply_to_message is not None
    assert reply.message.reply_to_message.text == "noted"
    assert reply.message.from_user is not None and reply.message.from_user.id == BOB
    assert edit.edited_message is not None and edit.edited_message.text == "first, edited"
    with pytest.raises(LookupError):
        api.edit_message(said.message_id, "not hers", chat_id=GROUP)


async def test_polls_votes_and_stop(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_text("/poll", chat_id=GROUP)
    await updates(bot)
    sent = await bot.send_poll(GROUP, "Lunch?", ["Pizza", "Soup", "Salad"], is_anonymous=False)
    api.vote(sent.message_id, [0], chat_id=GROUP)
    api.vote(sent.message_id, [2], user_id=BOB, first_name="Bob", chat_id=GROUP)
    found = await updates(bot)
    answers = [
        (u.poll_answer.user.id, u.poll_answer.option_ids)
        for u in found
        if u.poll_answer and u.poll_answer.user
    ]
    assert answers == [(ALICE, (0,)), (BOB, (2,))]
    assert [u.poll.total_voter_count for u in found if u.poll] == [1, 2]
    stopped = await bot.stop_poll(GROUP, sent.message_id)
    assert stopped.is_closed and [o.voter_count for o in stopped.options] == [1, 0, 1]
    with pytest.raises(BadRequest, match=r"(?i)poll has already been closed"):
        await bot.stop_poll(GROUP, sent.message_id)
    with pytest.raises(LookupError, match="closed"):
        api.vote(sent.message_id, [1], chat_id=GROUP)
    with pytest.raises(BadRequest, match=r"(?i)wrong correct option id"):
        await bot.send_poll(GROUP, "2+2?", ["4", "5"], type="quiz")
    with pytest.raises(BadRequest, match=r"(?i)poll must have at least 2 option"):
        await bot.do_api_request("sendPoll", {"chat_id": GROUP, "question": "Only one?"})


async def test_inline_queries(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    query_id = api.inline_query("cats")
    (update,) = await updates(bot)
    assert update.inline_query is not None and update.inline_query.query == "cats"

    def article(n: int) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(str(n), f"Cat {n}", InputTextMessageContent(f"cat {n}"))

    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)  # an inline query is no callback query
    with pytest.raises(BadRequest, match=r"(?i)RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query_id, [article(n) for n in range(51)])
    with pytest.raises(BadRequest, match=r"(?i)RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query_id, [article(1), article(1)])
    assert await bot.answer_inline_query(query_id, [article(n) for n in range(50)])
    assert len(api.wait_for_inline_answer(query_id)["results"]) == 50
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_inline_query(query_id, [article(1)])
    api.choose_inline_result(query_id, "7")
    (chosen,) = await updates(bot)
    assert chosen.chosen_inline_result is not None
    assert chosen.chosen_inline_result.result_id == "7"


async def test_groups_members_join_and_leave(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.set_bot_status(GROUP, "member")
    api.join(GROUP, user_id=BOB, first_name="Bob")  # no chat_member: the bot is no admin
    api.set_bot_status(GROUP, "administrator")
    api.leave(GROUP, user_id=BOB, first_name="Bob")
    found = await updates(bot)
    mine = [u.my_chat_member.new_chat_member.status for u in found if u.my_chat_member]
    assert mine == ["member", "administrator"]
    members = [u.chat_member for u in found if u.chat_member]
    assert [(m.old_chat_member.status, m.new_chat_member.status) for m in members] == [
        ("member", "left")
    ]
    assert (await bot.get_chat_member(GROUP, BOB)).status == "left"
    assert (await bot.get_chat_member(GROUP, bot.id)).status == "administrator"
    assert await bot.get_chat_member_count(GROUP) == 1
    assert await bot.leave_chat(GROUP)
    api.set_bot_status(ALICE, "kicked")  # Alice blocks the bot
    (blocked,) = await updates(bot)
    assert blocked.my_chat_member is not None
    assert blocked.my_chat_member.new_chat_member.status == "kicked"


async def test_payments(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_text("/buy")
    await updates(bot)
    prices = [LabeledPrice("Cake", 500)]
    flexible = await bot.send_invoice(
        ALICE, "Cake", "A cake", "cake-1", "USD", prices, provider_token="offline",
        need_shipping_address=True, is_flexible=True,
    )  # fmt: skip
    paying = asyncio.create_task(asyncio.to_thread(api.pay, flexible.message_id, timeout=30))
    (shipping,) = await _next(bot)
    assert shipping.shipping_query is not None
    assert shipping.shipping_query.invoice_payload == "cake-1"
    options = [ShippingOption("fast", "Fast", [LabeledPrice("Courier", 300)])]
    with pytest.raises(BadRequest, match=r"(?i)SHIPPING_OPTIONS_EMPTY"):
        await shipping.shipping_query.answer(ok=True)
    await shipping.shipping_query.answer(ok=True, shipping_options=options)
    (checkout,) = await _next(bot)
    assert checkout.pre_checkout_query is not None
    assert checkout.pre_checkout_query.total_amount == 800
    await checkout.pre_checkout_query.answer(ok=True)
    await paying
    (paid,) = await _next(bot)
    assert paid.message is not None and paid.message.successful_payment is not None
    assert paid.message.successful_payment.shipping_option_id == "fast"

    plain = await bot.send_invoice(ALICE, "Tea", "A tea", "tea-1", "USD", prices, "offline")
    paying = asyncio.create_task(asyncio.to_thread(api.pay, plain.message_id, timeout=30))
    (checkout,) = await _next(bot)
    assert checkout.pre_checkout_query is not None
    await checkout.pre_checkout_query.answer(ok=False, error_message="Out of tea")
    with pytest.raises(PaymentRefusedError, match=r"(?i)Out of tea"):
        await paying


async def _next(bot: Bot) -> list[Update]:
    """Wait for the user's next step (they act from another thread)."""
    for _ in range(300):
        found = await updates(bot)
        if found:
            return found
        await asyncio.sleep(0.01)
    raise AssertionError("the user did nothing within 3 s")


async def test_telegrams_limits_and_error_texts(bot: Bot, bot_api: StandInServer) -> None:
    bot_api.api.send_text("hi")
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(ALICE, "x" * 4097)
    assert await bot.send_message(ALICE, "x" * 4096)
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(ALICE, " ")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(777, "anyone?")
    data = InlineKeyboardMarkup([[InlineKeyboardButton("B", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(ALICE, "buttons", reply_markup=data)
    with pytest.raises(BadRequest, match=r"(?i)Message caption is too long"):
        await bot.send_photo(ALICE, b"\x89PNG", caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)chat_id is empty"):
        await bot.do_api_request("sendDice", {})
    with pytest.raises(BadRequest, match=r"(?i)method 'sendTelepathy' is not implemented"):
        await bot.do_api_request("sendTelepathy", {"chat_id": ALICE})
