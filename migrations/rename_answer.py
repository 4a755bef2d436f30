"""Rename an answer in the project's `.copier-answers.yml` (run by copier's `_migrations`).

Usage: rename_answer.py OLD NEW. It edits only the top-level key, keeps the value and every
other line as it is, and does nothing when OLD is absent (e.g. a project already migrated).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ANSWERS = Path(".copier-answers.yml")


def main(old: str, new: str) -> int:
    if not ANSWERS.is_file():
        print(
            f"error: {ANSWERS} is missing: run the update from the project's root", file=sys.stderr
        )
        return 1
    text = ANSWERS.read_text(encoding="utf-8")
    renamed = re.sub(rf"^{re.escape(old)}:", f"{new}:", text, count=1, flags=re.M)
    if renamed != text:
        ANSWERS.write_text(renamed, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
