"""`python -m <bot> chat --web`: a Telegram-like chat page with the bot's stored data beside it.

The bot runs as a subprocess against the stand-in (as in the terminal chat); a stdlib HTTP
server on 127.0.0.1 serves the page (web_chat.html) and its JSON API (web_http.py). The store
panel comes from the bot's own read-only `peek` command, run again whenever the data
directory changed (and every few seconds for a database), so it shows what a restart restores.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .process import BotProcess
from .server import StandInServer
from .user_messages import TINY_PNG
from .web_http import Handler
from .web_view import GROUP_ID, USERS, Timeline

PEEK_EVERY = 0.5  # seconds between looks at the data directory
PEEK_ANYWAY = 3.0  # seconds after which the store is read even if no file changed (databases)


class WebChat:
    """What the page can see and do: chats per user, the store panel, restart and crash."""

    def __init__(self, bot: BotProcess) -> None:
        self.bot = bot
        self.api = bot.server.api
        self.timeline = Timeline(self.api)
        self.store: dict[str, Any] = {"data": None, "saved_at": None, "error": None}
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def chat_of(self, body: dict[str, Any]) -> tuple[int, str, int]:
        user_id, name = USERS[str(body.get("user", "alice"))]
        chat_id = GROUP_ID if body.get("chat") == "group" else user_id
        return user_id, name, chat_id

    def state(self, query: dict[str, Any]) -> dict[str, Any]:
        _, _, chat_id = self.chat_of(query)
        return {
            "messages": self.timeline.view(chat_id),
            "store": self.store,
            "bot": {"running": self.bot.running, "starts": self.bot.starts},
            "users": {key: name for key, (_, name) in USERS.items()},
        }

    def act(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        user_id, name, chat_id = self.chat_of(body)
        who: dict[str, Any] = {"user_id": user_id, "chat_id": chat_id, "first_name": name}
        if action in ("restart", "crash"):
            with self.lock:
                status = self.bot.restart() if action == "restart" else self._crash()
            return {"ok": True, "status": status}
        if action == "send":
            text = str(body["text"])[:4096]
            self.timeline.add_user(chat_id, name, text)
            self.api.send_text(text, **who)
        elif action == "press":
            self._press(str(body["label"]), who, name)
        elif action == "photo":
            self.timeline.add_user(chat_id, name, "", image=TINY_PNG)
            self.api.send_photo(TINY_PNG, **who)
        elif action == "document":
            self.timeline.add_user(chat_id, name, "[document notes.txt]")
            self.api.send_document(b"hello\n", "notes.txt", **who)
        elif action == "location":
            self.timeline.add_user(chat_id, name, "[location 52.52, 13.40]")
            self.api.send_location(52.52, 13.40, **who)
        else:
            raise KeyError(f"unknown action {action!r}")
        return {"ok": True}

    def _press(self, label: str, who: dict[str, Any], name: str) -> None:
        bubbles = [m for m in self.timeline.view(who["chat_id"]) if m["bot"] and m["buttons"]]
        for bubble in reversed(bubbles):
            for row, datas in zip(bubble["buttons"], bubble["callbacks"], strict=True):
                for shown, data in zip(row, datas, strict=True):
                    if shown != label:
                        continue
                    if not bubble["inline"]:
                        self.timeline.add_user(who["chat_id"], name, label)
                        self.api.send_text(label, **who)
                    elif data is not None:
                        self.api.press_button(data, message_id=bubble["message_id"], **who)
                    return
        raise LookupError(f"no button {label!r} in this chat")

    def _crash(self) -> int:
        status = self.bot.kill()
        self.bot.start()
        return status

    def watch_store(self) -> None:
        """Run `peek` whenever the data directory changed: the panel shows each save."""
        last: float | None = None
        looked = 0.0
        while not self.stop.wait(PEEK_EVERY):
            stamp = _newest_mtime(self.bot.data_dir)
            if stamp == last and time.monotonic() - looked < PEEK_ANYWAY:
                continue
            looked = time.monotonic()
            result = self.bot.command("peek", timeout=30)
            if result.returncode != 0:
                self.store = {**self.store, "error": result.stderr.strip()[-500:]}
                continue
            data = json.loads(result.stdout)
            if stamp != last or data != self.store["data"]:
                saved = time.strftime("%H:%M:%S", time.localtime(stamp)) if stamp else None
                self.store = {"data": data, "saved_at": saved, "error": None}
            last = stamp


def _newest_mtime(data_dir: Path) -> float | None:
    stamps = [
        p.stat().st_mtime for p in data_dir.glob("*") if p.name != "bot.lock" and p.is_file()
    ]
    return max(stamps, default=None)


def main(module: str, port: int = 8765) -> int:
    """Serve the page until Ctrl+C or SIGTERM; the bot gets SIGTERM; 0 if it stopped cleanly."""
    data_dir = Path(os.environ.get("BOT_DATA_DIR") or "data")
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    with StandInServer() as server:
        bot = BotProcess(
            server,
            data_dir,
            module=module,
            persistence_interval=1.0,
            log_path=data_dir / "chat-bot.log",
            cwd=Path.cwd(),
            log_level=os.environ.get("LOG_LEVEL") or "INFO",
            isolated=False,
        )
        chat = WebChat(bot)
        http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        http.chat = chat  # type: ignore[attr-defined]
        serving = threading.Thread(target=http.serve_forever, daemon=True)
        try:
            bot.start()
            threading.Thread(target=chat.watch_store, daemon=True).start()
            serving.start()
            print(f"Web chat with the bot (Ctrl+C stops both); bot log: {bot.log_path}")
            print(f"http://127.0.0.1:{http.server_address[1]}/", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        finally:
            chat.stop.set()
            if serving.is_alive():
                http.shutdown()
            http.server_close()
        with chat.lock:  # a restart or crash in progress finishes first
            status = bot.terminate() if bot.running else 0
        bot.close()
        return 0 if status == 0 else 1
