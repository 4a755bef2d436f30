"""python-telegram-bot 22.8's example bots, unmodified, driven by users through the stand-in.

Run by tests/test_ptb_examples.py inside a generated project's environment (it has the
stand-in and python-telegram-bot), with PTB_EXAMPLES (the sdist's examples/ directory) and
STANDIN (the stand-in's import path) set. Each example runs as `python -m <STANDIN>.run_script
<example>.py`: the only change is the bot's token and base URLs.
"""

from __future__ import annotations

import importlib
import os
import pickle
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

STANDIN = os.environ["STANDIN"]
EXAMPLES = Path(os.environ["PTB_EXAMPLES"])
# Not the stand-in's default: errorhandlerbot reports to chat 123456789, a user here.
TOKEN = "5550001:offline-examples-token"
StandInServer = importlib.import_module(f"{STANDIN}.server").StandInServer
WebhookRelay = importlib.import_module(f"{STANDIN}.webhook").WebhookRelay


class Example:
    """One example bot as a subprocess, with the stand-in it talks to."""

    def __init__(self, name: str, cwd: Path) -> None:
        self.name, self.cwd = name, cwd
        self.server = StandInServer(token=TOKEN).start()
        self.api = self.server.api
        self.log_path = cwd / f"{Path(name).name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, ready: str = "getUpdates") -> Example:
        """Start the example; return once it called `ready` (polling, or setWebhook)."""
        mark = len(self.api.calls)
        env = {
            **os.environ,
            "BOT_API_BASE_URL": self.server.base_url,
            "BOT_TOKEN": TOKEN,
            "NO_PROXY": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"{STANDIN}.run_script", str(EXAMPLES / f"{self.name}.py")],
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.api.wait_for_call(ready, after=mark, timeout=30)
        return self

    def stop(self) -> None:
        """SIGTERM, as a user's Ctrl+C would: run_polling shuts down and saves."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def say(self, text: str, **who: Any) -> str:
        """A user sends `text`; the bot's next message's text."""
        self.api.send_text(text, **who)
        return self.api.wait_for_message().text

    def press(self, label: str, **who: Any) -> Any:
        self.api.press_button(label, **who)
        return self.api.wait_for_message()

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def example(tmp_path: Path) -> Iterator[Callable[..., Example]]:
    started: list[Example] = []

    def run(name: str, ready: str = "getUpdates") -> Example:
        started.append(Example(name, tmp_path).start(ready))
        return started[-1]

    yield run
    for bot in started:
        bot.stop()
        bot.server.stop()
        print(f"--- {bot.name}'s output\n{bot.log[-4000:]}")  # shown if the test failed
        assert bot.api.internal_errors == [], bot.api.internal_errors


def test_echobot(example: Callable[..., Example]) -> None:
    bot = example("echobot")
    assert bot.say("/start") == "Hi Alice!"
    assert bot.api.sent[-1].reply_markup == {"force_reply": True, "selective": True}
    assert bot.say("/help") == "Help!"
    assert bot.say("hello there") == "hello there"


def test_timerbot(example: Callable[..., Example]) -> None:
    bot = example("timerbot")
    assert bot.say("/set 0.5") == "Timer successfully set!"
    assert bot.api.wait_for_message().text == "Beep! 0.5 seconds are over!"
    assert bot.say("/set 60") == "Timer successfully set!"
    assert bot.say("/unset") == "Timer successfully cancelled!"
    assert bot.say("/set") == "Usage: /set <seconds>"


def test_conversationbot_photo_and_location(example: Callable[..., Example]) -> None:
    bot = example("conversationbot")
    assert bot.say("/start").endswith("Are you a boy or a girl?")
    assert bot.api.sent[-1].keyboard == [["Boy", "Girl", "Other"]]
    assert bot.press("Girl").text.startswith("I see! Please send me a photo")
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    bot.api.send_photo(picture)
    assert bot.api.wait_for_message().text.startswith("Gorgeous! Now, send me your location")
    assert (bot.cwd / "user_photo.jpg").read_bytes() == picture  # fetched via getFile
    bot.api.send_location(52.52, 13.405)
    assert bot.api.wait_for_message().text.startswith("Maybe I can visit you sometime!")
    assert "Location of Alice: 52.520000 / 13.405000" in bot.log
    assert bot.say("I like trains") == "Thank you! I hope we can talk again some day."


def test_conversationbot2(example: Callable[..., Example]) -> None:
    bot = example("conversationbot2")
    assert bot.say("/start").startswith("Hi! My name is Doctor Botter.")
    assert bot.press("Age").text == "Your age? Yes, I would love to hear about that!"
    told = bot.say("33")
    assert told.startswith("Neat!") and "Age - 33" in told
    assert bot.press("Something else...").text.startswith("Alright, please send me the category")
    assert bot.say("Pet") == "Your pet? Yes, I would love to hear about that!"
    assert "Pet - cat" in bot.say("cat")
    done = bot.press("Done").text
    assert "Age - 33" in done and done.endswith("Until next time!")


def test_persistentconversationbot_survives_a_restart(example: Callable[..., Example]) -> None:
    bot = example("persistentconversationbot")
    bot.say("/start")
    assert bot.press("Favourite colour").text.startswith("Your favourite colour? Yes")
    assert "favourite colour - blue" in bot.say("Blue")
    bot.press("Number of siblings")
    bot.stop()  # mid-conversation; PicklePersistence writes on shutdown
    assert (bot.cwd / "conversationbot").exists()
    bot.start()
    assert "number of siblings - 2" in bot.say("2")  # the conversation state came back
    assert "favourite colour - blue" in bot.say("/show_data")
    with (bot.cwd / "conversationbot").open("rb") as stored:
        assert pickle.load(stored)["user_data"][1001]["favourite colour"] == "blue"


def test_nestedconversationbot(example: Callable[..., Example]) -> None:
    bot = example("nestedconversationbot")
    assert bot.say("/start").startswith("Hi, I'm Family Bot")
    assert "Add yourself" in str(bot.api.wait_for_message().keyboard)
    assert bot.press("Add yourself").text == "Okay, please tell me about yourself."
    assert bot.press("Add info").text == "Please select a feature to update."
    assert bot.press("Name").text == "Okay, tell me."
    assert bot.say("Alice") == "Got it! Please select a feature to update."
    edited = bot.press("Done")
    assert edited.edited and "Add family member" in str(edited.keyboard)
    shown = bot.press("Show data").text
    assert "Yourself:\nName: Alice, Age: -" in shown
    bot.press("Back")
    assert bot.press("Done").text == "See you around!"


def test_inlinekeyboard(example: Callable[..., Example]) -> None:
    bot = example("inlinekeyboard")
    assert bot.say("/start") == "Please choose:"
    assert bot.api.sent[-1].keyboard == [["Option 1", "Option 2"], ["Option 3"]]
    chosen = bot.press("Option 2")
    assert (chosen.text, chosen.edited, chosen.keyboard) == ("Selected option: 2", True, [])
    assert bot.api.callback_answers[-1]["text"] is None


def test_inlinekeyboard2(example: Callable[..., Example]) -> None:
    bot = example("inlinekeyboard2")
    assert bot.say("/start") == "Start handler, Choose a route"
    assert bot.press("1").text == "First CallbackQueryHandler, Choose a route"
    assert bot.press("3").text == "Third CallbackQueryHandler. Do want to start over?"
    assert bot.press("Yes, let's do it again!").text == "Start handler, Choose a route"
    assert bot.press("2").text == "Second CallbackQueryHandler, Choose a route"
    assert bot.press("3").text.startswith("Third")
    assert bot.press("Nah, I've had enough ...").text == "See you next time!"


def test_inlinebot(example: Callable[..., Example]) -> None:
    bot = example("inlinebot")
    assert bot.say("/start") == "Hi!"
    query_id = bot.api.inline_query("hello <world>")
    answer = bot.api.wait_for_inline_answer(query_id)
    results = answer["results"]
    assert [r["title"] for r in results] == ["Caps", "Bold", "Italic"]
    texts = [r["input_message_content"]["message_text"] for r in results]
    assert texts == ["HELLO <WORLD>", "<b>hello &lt;world&gt;</b>", "<i>hello &lt;world&gt;</i>"]
    bot.api.choose_inline_result(query_id, results[0]["id"])  # no handler: nothing breaks
    bot.api.inline_query("")  # empty queries get no answer
    assert bot.say("/help") == "Help!"


def test_pollbot(example: Callable[..., Example]) -> None:
    bot = example("pollbot")
    group = -100123
    users = [(1001, "Alice"), (1002, "Bob"), (1003, "Carol")]
    assert bot.say("/poll", chat_id=group) == "How are you?"
    poll = bot.api.sent[-1]
    assert (poll.kind, poll.text) == ("poll", "How are you?")
    for (user, name), options in zip(users, ([0], [1, 3], [2]), strict=True):
        bot.api.vote(poll.message_id, options, user_id=user, first_name=name, chat_id=group)
        said = bot.api.wait_for_message(chat_id=group).text
        assert said.startswith(name) and "feels" in said
    assert said == "Carol feels Fantastic!"
    stop = bot.api.wait_for_call("stopPoll")
    assert stop.value("message_id") == poll.message_id
    stopped = next(p for p in bot.api.polls.values() if p.get("message_id") == poll.message_id)
    assert stopped["poll"]["is_closed"] and stopped["poll"]["total_voter_count"] == 3

    bot.say("/quiz", chat_id=group)
    quiz = bot.api.sent[-1]
    assert quiz.text == "How many eggs do you need for a cake?"
    mark = len(bot.api.calls_to("stopPoll"))
    for user, name in users:
        bot.api.vote(quiz.message_id, [2], user_id=user, first_name=name, chat_id=group)
    bot.api.wait_until(lambda: len(bot.api.calls_to("stopPoll")) > mark or None, 10)
    assert len(bot.api.calls_to("stopPoll")) == mark + 1

    assert bot.say("/preview").startswith("Press the button")
    bot.api.send_poll("Tea or coffee?", ["Tea", "Coffee"])
    copy = bot.api.wait_for_message()
    assert (copy.kind, copy.text) == ("poll", "Tea or coffee?")
    assert bot.api.calls_to("sendPoll")[-1].value("is_closed") is True


def test_chatmemberbot(example: Callable[..., Example]) -> None:
    bot = example("chatmemberbot")
    group = -100777
    assert bot.say("hi").startswith("Welcome Alice.")
    bot.api.set_bot_status(group, "administrator")  # Alice adds the bot as an admin
    bot.api.join(group, user_id=1002, first_name="Bob")
    assert bot.api.wait_for_message(chat_id=group).text == "Bob was added by Bob. Welcome!"
    bot.api.leave(group, user_id=1002, first_name="Bob")
    left = bot.api.wait_for_message(chat_id=group).text
    assert left == "Bob is no longer with us. Thanks a lot, Bob ..."
    shown = bot.say("/show_chats")
    assert "user IDs 1001." in shown and f"groups with IDs {group} " in shown
    bot.api.set_bot_status(group, "left")
    bot.api.wait_idle()
    assert f"groups with IDs {group}" not in bot.say("/show_chats")


def test_contexttypesbot(example: Callable[..., Example]) -> None:
    bot = example("contexttypesbot")
    assert bot.say("/start") == "This button was clicked 0 times."
    assert bot.press("Click me!").text == "This button was clicked 1 times."
    assert bot.press("Click me!").text == "This button was clicked 2 times."
    bot.api.send_text("/start", user_id=1002, first_name="Bob")
    bot.api.wait_for_message()
    users = bot.say("/print_users")
    assert "1001" in users and "1002" in users


def test_deeplinking(example: Callable[..., Example]) -> None:
    bot = example("deeplinking")
    link = bot.say("/start").rpartition("\n")[2]
    assert link == "https://t.me/offline_test_bot?startgroup=check-this-out"
    reply = bot.say("/start check-this-out", chat_id=-100555)
    assert reply.startswith("Awesome, you just accessed hidden functionality!")
    url = bot.api.sent[-1].reply_markup["inline_keyboard"][0][0]["url"]
    assert url == "https://t.me/offline_test_bot?start=so-cool"
    assert bot.say("/start so-cool").startswith("You can also mask the deep-linked URLs")
    assert bot.say("/start using-entities-here").startswith("It is also possible")
    bot.api.press_button("Like this!")
    bot.api.wait_until(lambda: bot.api.callback_answers or None, 10)
    assert bot.api.callback_answers[-1]["url"].endswith("?start=using-keyboard-here")
    deepest = bot.say("/start using-keyboard-here")
    assert deepest.endswith("The payload was: ['using-keyboard-here']")


def test_errorhandlerbot(example: Callable[..., Example]) -> None:
    bot = example("errorhandlerbot")
    developer = 123456789  # the example's DEVELOPER_CHAT_ID
    assert bot.say("/start", user_id=developer, first_name="Dev").endswith(
        f"Your chat id is {developer}."
    )
    bot.api.send_text("/bad_command")
    report = bot.api.wait_for_message(chat_id=developer).text
    assert report.startswith("An exception was raised while handling an update")
    assert "AttributeError" in report and "wrong_method_name" in report


def test_arbitrarycallbackdatabot(example: Callable[..., Example]) -> None:
    bot = example("arbitrarycallbackdatabot")
    assert bot.say("/start") == "Please choose:"
    assert bot.api.sent[-1].keyboard == [["1"], ["2"], ["3"], ["4"], ["5"]]
    sent = bot.api.calls_to("sendMessage")[-1].value("reply_markup")
    assert all(len(b[0]["callback_data"]) <= 64 for b in sent["inline_keyboard"])
    assert bot.press("3").text == "So far you've selected [3]. Choose the next item:"
    assert bot.press("5").text == "So far you've selected [3, 5]. Choose the next item:"
    assert bot.say("/clear") == "All clear!"
    assert bot.press("1").text.startswith("Sorry, I could not process this button click")


def test_paymentbot(example: Callable[..., Example]) -> None:
    bot = example("paymentbot")
    assert bot.say("/start").startswith("Use /shipping to receive an invoice")
    bot.api.send_text("/shipping")
    invoice = bot.api.wait_for_message()
    assert (invoice.kind, invoice.text) == ("invoice", "Payment Example")
    bot.api.pay(invoice.message_id, shipping_option="2")
    assert bot.api.wait_for_message().text == "Thank you for your payment."
    answers = list(bot.api.payment_answers.values())
    assert [o["id"] for o in answers[0]["shipping_options"]] == ["1", "2"]
    assert answers[1] == {"ok": True, "error_message": None}
    bot.api.send_text("/noshipping")
    plain = bot.api.wait_for_message()
    bot.api.pay(plain.message_id)
    assert bot.api.wait_for_message().text == "Thank you for your payment."
    assert len(bot.api.calls_to("answerShippingQuery")) == 1


def test_rawapibot(example: Callable[..., Example]) -> None:
    bot = example("rawapibot")
    assert bot.say("echo me") == "echo me"
    assert bot.say("and me") == "and me"


def test_customwebhookbot_starlette(example: Callable[..., Example]) -> None:
    """A webhook bot with its own web server (Starlette on 127.0.0.1:8000, as the example has
    it); the relay plays Telegram, POSTing updates to the URL the bot serves."""
    bot = example("customwebhookbot/starlettebot", ready="setWebhook")
    assert bot.api.webhook["url"] == "https://domain.tld/telegram"
    admin = 123456  # the example's ADMIN_CHAT_ID
    with WebhookRelay(bot.api, "http://127.0.0.1:8000/telegram"):
        assert "/healthcheck" in bot.say("/start", user_id=admin, first_name="Admin")
        bot.api.send_text("/start")
        assert "/submitpayload" in bot.api.wait_for_message(chat_id=1001).text
        web = "http://127.0.0.1:8000/"
        with urllib.request.urlopen(web + "healthcheck", timeout=10) as answer:
            assert answer.read() == b"The bot is still running fine :)"
        with urllib.request.urlopen(web + "submitpayload?user_id=1001&payload=hi", timeout=10):
            pass
        report = bot.api.wait_for_message(chat_id=admin).text
        assert report.startswith("The user Alice has sent a new payload.")
        assert report.endswith("• hi")
