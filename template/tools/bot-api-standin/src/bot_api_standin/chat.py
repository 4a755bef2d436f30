"""`python -m <bot> chat`: talk to the real bot in this terminal, offline, no token needed.

The bot runs as a subprocess against the stand-in, exactly as it would against Telegram, with
its data in ./data (or BOT_DATA_DIR) and its log in that directory. Each line you type is a
message from "Alice"; buttons show as [1] [2] ... and typing the number presses one.
`/restart` stops the bot with SIGTERM and starts it again, so you can watch persistence work.
Driven through a pipe, it waits after each line until the bot has answered or gone quiet.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .model import SentMessage, scope_key
from .process import BotProcess
from .server import StandInServer

USER_ID = 1001
CHAT_COMMANDS = {
    "/help": "list these commands and the bot's own",
    "/restart": "stop the bot with SIGTERM and start it again: its data survives",
    "/wait N": "wait N seconds, showing what the bot sends meanwhile (e.g. a reminder)",
    "/quit": "stop the bot and leave (so does end of input, Ctrl-D)",
}
ANSWER_TIMEOUT = 10.0  # seconds to wait for a bot that is still busy with the last message
QUIET = 0.4  # seconds of silence after which the bot is taken to have answered
_DEFAULT_SCOPE = scope_key({"type": "default"}, "")


@dataclass(frozen=True)
class Button:
    label: str
    callback_data: str | None
    message_id: int
    inline: bool


class Chat:
    """The terminal side: prints the bot's messages and turns input lines into updates."""

    def __init__(self, bot: BotProcess, out: TextIO) -> None:
        self.bot = bot
        self.api = bot.server.api
        self.out = out
        self.buttons: list[Button] = []
        self._shown = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._printer = threading.Thread(target=self._print_forever, daemon=True)

    def run(self, lines: TextIO) -> int:
        """Chat until /quit or end of input; the exit status is 0 if the bot stopped cleanly."""
        self.say(f"Offline chat: you are Alice (user {USER_ID}). Type /help for commands.")
        self.say(f"Data: {self.bot.data_dir}  Bot log: {self.bot.log_path}")
        try:
            self.bot.start()
        except RuntimeError as error:
            return self.fail(error)
        self._printer.start()
        try:
            for raw in iter(lambda: self._read(lines), None):
                line = raw.strip()
                if line == "/quit":
                    break
                if line and not self.handle(line):
                    return 1
        finally:
            self.settle()
            self._stop.set()
            self._printer.join()
        status = self.bot.terminate()
        self.say(f"Bot stopped (exit status {status}); its data is in {self.bot.data_dir}")
        return 0 if status == 0 else 1

    def handle(self, line: str) -> bool:
        """Act on one input line; False if the bot could not be brought back."""
        if line == "/help":
            self.say(self.help())
            return True
        if line == "/restart":
            self.settle()
            self.say("Restarting the bot: SIGTERM, then start again...")
            try:
                status = self.bot.restart()
            except RuntimeError as error:
                return self.fail(error) == 0
            self.say(f"Bot restarted (the old run exited with status {status}).")
            return True
        if line.startswith("/wait"):
            seconds = line.removeprefix("/wait").strip() or "1"
            try:
                self._stop.wait(min(float(seconds), 3600.0))
            except ValueError:
                self.say(f"/wait takes a number of seconds, not {seconds!r}")
            self.settle()
            return True
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            self.press(self.buttons[int(line) - 1])
        else:
            self.api.send_text(line, user_id=USER_ID)
        self.settle()
        if not self.bot.running:
            return self.fail(RuntimeError("the bot stopped on its own")) == 0
        return True

    def fail(self, error: RuntimeError) -> int:
        """One line on stderr: what happened, the bot's last words, where its log is."""
        last = next((line for line in reversed(self.bot.log.splitlines()) if line.strip()), "")
        reason = str(error).splitlines()[0].rstrip(":")
        print(f"error: {reason}: {last} (log: {self.bot.log_path})", file=sys.stderr)
        return 1

    def press(self, button: Button) -> None:
        self.say(f"(you pressed: {button.label})")
        if not button.inline:
            self.api.send_text(button.label, user_id=USER_ID)
        elif button.callback_data is None:
            self.say("(this button has no callback data; nothing is sent)")
        else:
            self.api.press_button(
                button.callback_data, user_id=USER_ID, message_id=button.message_id
            )

    def help(self) -> str:
        lines = ["Chat commands:"]
        lines += [f"  {name:<10} {what}" for name, what in CHAT_COMMANDS.items()]
        commands = self.api.commands.get(_DEFAULT_SCOPE, [])
        if commands:
            lines.append("The bot's commands:")
            lines += [f"  /{c['command']:<9} {c['description']}" for c in commands]
        lines.append("Type a number to press the button shown with it.")
        return "\n".join(lines)

    def settle(self) -> None:
        """Wait until the bot has taken every message and gone quiet, then show its answers."""
        self.api.wait_idle(quiet=QUIET, timeout=ANSWER_TIMEOUT)
        self._show_new()

    def say(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def _read(self, lines: TextIO) -> str | None:
        if lines.isatty():
            with self._lock:
                self.out.write("> ")
                self.out.flush()
        line = lines.readline()
        return line or None

    def _print_forever(self) -> None:
        while not self._stop.is_set():
            self.api.wait_until(lambda: True if len(self.api.sent) > self._shown else None, 0.2)
            self._show_new()

    def _show_new(self) -> None:
        with self._lock:
            new = self.api.sent[self._shown :]
            self._shown += len(new)
            for message in new:
                print(self._render(message), file=self.out, flush=True)

    def _render(self, message: SentMessage) -> str:
        head = "bot (edited)" if message.edited else "bot"
        text = message.text
        if message.kind != "text":
            text = f"[{message.kind} {message.file_name or ''}] {text}".replace(" ]", "]")
        first, *rest = text.splitlines() or [""]
        lines = [f"{head}: {first}", *(" " * (len(head) + 2) + line for line in rest)]
        markup = message.reply_markup or {}
        if markup.get("remove_keyboard"):
            self.buttons = []
        elif message.buttons:
            self.buttons = [
                Button(label, data, message.message_id, message.is_inline)
                for row in message.buttons
                for label, data in row
            ]
            number = 0
            for row in message.buttons:
                cells = []
                for label, _ in row:
                    number += 1
                    cells.append(f"[{number}] {label}")
                lines.append("     " + "  ".join(cells))
        return "\n".join(lines)


def main(module: str) -> int:
    """Start the stand-in and `python -m <module>`, chat over stdin/stdout, stop both; the
    exit status. The bot's own `chat` subcommand calls this with its package name."""
    data_dir = Path(os.environ.get("BOT_DATA_DIR") or "data")
    with StandInServer() as server:
        bot = BotProcess(
            server,
            data_dir,
            module=module,
            persistence_interval=None,
            log_path=data_dir / "chat-bot.log",
            cwd=Path.cwd(),
            log_level=os.environ.get("LOG_LEVEL") or "INFO",
            isolated=False,
        )
        try:
            return Chat(bot, sys.stdout).run(sys.stdin)
        except KeyboardInterrupt:
            return 130 if bot.terminate() == 0 else 1
        finally:
            bot.close()
