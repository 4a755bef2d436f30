"""The Bot API stand-in, driven by a real telegram.Bot over HTTP and in-process.

Every method test runs twice: through `StandInServer` (what the bot subprocess talks to) and
through `OfflineRequest` (what in-process tests use), so both transports stay equivalent.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator

import pytest
from bot_api_standin.botapi import FAKE_TOKEN
from bot_api_standin.offline import OfflineRequest
from bot_api_standin.server import StandInServer
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Conflict

ALICE = 1001


@pytest.fixture(params=["http", "offline"])
async def bot(request: pytest.FixtureRequest, bot_api: StandInServer) -> AsyncIterator[Bot]:
    """A real telegram.Bot talking to `bot_api.api` over HTTP or in-process."""
    if request.param == "http":
        client = Bot(FAKE_TOKEN, base_url=bot_api.base_url)
    else:
        offline = OfflineRequest(bot_api.api)
        client = Bot(FAKE_TOKEN, request=offline, get_updates_request=offline)
    async with client:
        yield client


async def test_get_me_and_commands(bot: Bot, bot_api: StandInServer) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.id == 123456789
    commands = [BotCommand("start", "Begin"), BotCommand("help", "Explain")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert bot_api.api.commands_for() == ["start", "help"]
    sent = bot_api.api.calls_to("setMyCommands")[0].value("commands")
    assert sent == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "Explain"},
    ]
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Not A Command", "x")])


async def test_updates_and_offsets(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    first = api.send_text("/start now", first_name="Alice")
    second = api.send_text("hello", user_id=1002, first_name="Bob")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first, second]
    command = updates[0].message
    assert command is not None and command.text == "/start now"
    assert (
        command.parse_entities() and command.from_user and command.from_user.first_name == "Alice"
    )
    assert command.chat.type == "private" and command.chat.id == ALICE
    assert [u.update_id for u in await bot.get_updates(offset=second, timeout=0)] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()


async def test_group_chats_and_several_users(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_text("/start@offline_test_bot", chat_id=-42)
    api.send_text("me too", user_id=1002, chat_id=-42, first_name="Bob")
    messages = [u.message for u in await bot.get_updates(timeout=0) if u.message]
    seen = [
        (m.chat.id, m.chat.type, m.from_user.first_name if m.from_user else "") for m in messages
    ]
    assert seen == [(-42, "group", "Alice"), (-42, "group", "Bob")]
    inline = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    await bot.send_message(-42, "Hello group", reply_markup=inline)
    assert api.wait_for_message(chat_id=-42).text == "Hello group"
    update_id = api.press_button("OK", user_id=1002, chat_id=-42)
    query = (await bot.get_updates(offset=update_id, timeout=0))[0].callback_query
    assert query is not None and query.from_user.id == 1002
    assert query.message is not None and query.message.chat.id == -42


async def test_long_poll_waits_for_an_update(bot: Bot, bot_api: StandInServer) -> None:
    """One getUpdates call waits and returns the update sent meanwhile: PTB does not spin."""
    api = bot_api.api
    sender = threading.Timer(0.3, api.send_text, args=("late",))
    sender.start()
    updates = await bot.get_updates(timeout=30)
    sender.join()
    assert [u.message.text for u in updates if u.message] == ["late"]
    assert len(api.calls_to("getUpdates")) == 1


async def test_long_poll_times_out_empty(bot: Bot, bot_api: StandInServer) -> None:
    assert await bot.get_updates(timeout=1) == ()
    assert len(bot_api.api.calls_to("getUpdates")) == 1


async def test_messages_keyboards_and_callbacks(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_text("hi")
    keyboard = ReplyKeyboardMarkup([["Age", "Colour"], ["Done"]], one_time_keyboard=True)
    sent = await bot.send_message(ALICE, "Choose", reply_markup=keyboard)
    assert sent.text == "Choose" and sent.chat.id == ALICE and sent.from_user
    shown = api.wait_for_message(chat_id=ALICE)
    assert (shown.text, shown.keyboard) == ("Choose", [["Age", "Colour"], ["Done"]])
    update_id = api.press_button("Colour")
    pressed = (await bot.get_updates(offset=update_id, timeout=0))[0].message
    assert pressed is not None and pressed.text == "Colour"

    inline = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    question = await bot.send_message(ALICE, "<b>Sure?</b>", ParseMode.HTML, reply_markup=inline)
    assert question.text == "Sure?"
    assert api.wait_for_message().keyboard == [["Yes"]]
    update_id = api.press_button("Yes")
    query = (await bot.get_updates(offset=update_id, timeout=0))[0].callback_query
    assert query is not None and query.data == "yes"
    assert query.message is not None and query.message.message_id == question.message_id
    assert await query.answer("Noted")
    with pytest.raises(BadRequest, match=r"(?i)query ID is invalid"):
        await query.answer("twice")
    assert api.callback_answers[-1]["text"] == "Noted"

    edited = await bot.edit_message_text(
        "Sure\\!", ALICE, question.message_id, parse_mode="MarkdownV2", reply_markup=inline
    )
    assert not isinstance(edited, bool) and edited.text == "Sure!"
    assert api.wait_for_message().edited
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Sure!", ALICE, question.message_id, reply_markup=inline)
    assert await bot.edit_message_reply_markup(ALICE, question.message_id, reply_markup=None)
    assert api.wait_for_message().keyboard == []
    with pytest.raises(LookupError, match="no button"):
        api.press_button("Yes")
    removal = await bot.send_message(ALICE, "Bye", reply_markup=ReplyKeyboardRemove())
    assert removal.reply_markup is None
    assert await bot.delete_message(ALICE, removal.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, removal.message_id)
    assert await bot.send_chat_action(ALICE, ChatAction.TYPING)


async def test_parse_mode_errors_are_telegrams(bot: Bot, bot_api: StandInServer) -> None:
    bot_api.api.send_text("hi")
    with pytest.raises(BadRequest, match=r"(?i)reserved and must be escaped"):
        await bot.send_message(ALICE, "1.5", parse_mode=ParseMode.MARKDOWN_V2)
    with pytest.raises(BadRequest, match=r"(?i)Unsupported start tag"):
        await bot.send_message(ALICE, "<blink>x</blink>", parse_mode=ParseMode.HTML)
    sent = await bot.send_message(ALICE, "*bold* `1.5` \\.", parse_mode=ParseMode.MARKDOWN_V2)
    assert sent.text == "bold 1.5 ."


async def test_uploads(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    api.send_text("hi")
    photo = await bot.send_photo(ALICE, b"\x89PNG fake", caption="A picture")
    assert photo.photo and photo.caption == "A picture"
    document = await bot.send_document(ALICE, InputFile(b"a,b\n1,2\n", filename="data.csv"))
    assert document.document is not None and document.document.file_name == "data.csv"
    assert api.uploads[document.document.file_id].content == b"a,b\n1,2\n"
    again = await bot.send_document(ALICE, document.document.file_id)
    assert again.document is not None
    kinds = [(m.kind, m.file_name) for m in api.pending_messages()]
    assert kinds == [("photo", None), ("document", "data.csv"), ("document", "data.csv")]


async def test_webhook_methods(bot: Bot) -> None:
    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert (await bot.get_webhook_info()).url == "https://example.org/hook"
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates(timeout=0)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.close()
    assert await bot.log_out()


async def test_unknown_chat_and_method(bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "anyone?")
    with pytest.raises(BadRequest, match=r"(?i)sendTelepathy"):
        await bot.do_api_request("sendTelepathy", {"chat_id": ALICE})
