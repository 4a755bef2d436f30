"""The stand-in's captions, albums, venues, pins, reactions, bulk deletes, profile and bans."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bot_api_standin.botapi import FAKE_TOKEN
from bot_api_standin.offline import OfflineRequest
from bot_api_standin.server import StandInServer
from telegram import Bot, InputMediaPhoto, ReactionTypeEmoji
from telegram.error import BadRequest

ALICE, BOB, GROUP = 1001, 1002, -600
pytestmark = pytest.mark.filterwarnings("ignore:Please use 'Bot")  # raw calls on purpose


@pytest.fixture
async def bot(bot_api: StandInServer) -> AsyncIterator[Bot]:
    offline = OfflineRequest(bot_api.api)
    async with Bot(FAKE_TOKEN, request=offline, get_updates_request=offline) as client:
        yield client


async def test_captions_albums_and_venues(bot: Bot, bot_api: StandInServer) -> None:
    bot_api.api.send_text("hi")
    photo = await bot.send_photo(ALICE, b"\x89PNG", caption="before")
    edited = await bot.edit_message_caption(ALICE, photo.message_id, caption="after")
    assert isinstance(edited, object) and bot_api.api.sent[-1].text == "after"
    text = await bot.send_message(ALICE, "plain")
    with pytest.raises(BadRequest, match=r"(?i)there is no caption in the message to edit"):
        await bot.edit_message_caption(ALICE, text.message_id, caption="x")
    album = await bot.send_media_group(
        ALICE, [InputMediaPhoto(b"\x89PNG 1", caption="one"), InputMediaPhoto(b"\x89PNG 2")]
    )
    assert len({m.media_group_id for m in album}) == 1 and album[0].caption == "one"
    with pytest.raises(BadRequest, match=r"(?i)wrong number of media"):
        await bot.send_media_group(ALICE, [InputMediaPhoto(b"\x89PNG alone")])
    venue = await bot.send_venue(ALICE, 52.5, 13.4, "Cafe", "Main St 1")
    assert venue.venue is not None and venue.venue.title == "Cafe"


async def test_pins_reactions_and_deletes(bot: Bot, bot_api: StandInServer) -> None:
    bot_api.api.send_text("hi")
    first = await bot.send_message(ALICE, "one")
    second = await bot.send_message(ALICE, "two")
    assert await bot.pin_chat_message(ALICE, first.message_id)
    assert await bot.pin_chat_message(ALICE, second.message_id)
    assert await bot.unpin_chat_message(ALICE)  # the newest pin
    assert bot_api.api.pins[ALICE] == [first.message_id]
    assert await bot.unpin_all_chat_messages(ALICE)
    with pytest.raises(BadRequest, match=r"(?i)message to unpin not found"):
        await bot.unpin_chat_message(ALICE)
    assert await bot.set_message_reaction(ALICE, first.message_id, [ReactionTypeEmoji("👍")])
    with pytest.raises(BadRequest, match=r"(?i)message to react not found"):
        await bot.set_message_reaction(ALICE, 9999, [ReactionTypeEmoji("👍")])
    assert await bot.delete_messages(ALICE, [first.message_id, second.message_id])
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, first.message_id)


async def test_profile_and_group_administration(bot: Bot, bot_api: StandInServer) -> None:
    api = bot_api.api
    assert (await bot.get_my_name()).name == "Offline Bot"
    assert await bot.set_my_name("Helper", language_code="de")
    assert (await bot.get_my_name(language_code="de")).name == "Helper"
    assert await bot.set_my_description("Answers questions")
    assert (await bot.get_my_description()).description == "Answers questions"
    with pytest.raises(BadRequest, match=r"(?i)BOT_SHORT_DESCRIPTION_INVALID"):
        await bot.set_my_short_description("x" * 121)
    assert (await bot.get_chat_menu_button()).type == "default"
    api.send_text("hi", chat_id=GROUP)
    api.join(GROUP, user_id=BOB, first_name="Bob")
    assert (await bot.get_user_profile_photos(BOB)).total_count == 0
    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.ban_chat_member(GROUP, BOB)
    api.set_bot_status(GROUP, "administrator")
    assert await bot.ban_chat_member(GROUP, BOB)
    assert (await bot.get_chat_member(GROUP, BOB)).status == "kicked"
    assert await bot.unban_chat_member(GROUP, BOB, only_if_banned=True)
    assert (await bot.get_chat_member(GROUP, BOB)).status == "left"
    assert await bot.set_chat_title(GROUP, "Book club")
    assert (await bot.get_chat(GROUP)).title == "Book club"
