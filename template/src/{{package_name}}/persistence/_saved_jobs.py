"""The saved job specs of a store, read-only to callers and indexed by chat: `/unset` asks for
one chat's jobs, and looking through 100,000 specs for them costs milliseconds."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


class SavedJobs(Mapping[str, Any]):
    """Specs by job id: the store's own dict, changed only through its set_job and drop_job."""

    def __init__(self, specs: dict[str, Any]) -> None:
        self._specs = specs
        self._by_chat: dict[object, dict[str, None]] = {}  # dicts keep the order jobs were set
        for job_id, spec in specs.items():
            self._by_chat.setdefault(_chat_of(spec), {})[job_id] = None

    def __getitem__(self, job_id: str) -> Any:
        return self._specs[job_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def of_chat(self, chat_id: int | None) -> list[str]:
        """The ids of one chat's jobs."""
        return list(self._by_chat.get(chat_id, ()))

    def set(self, job_id: str, spec: Any) -> None:
        self.drop(job_id)
        self._specs[job_id] = spec
        self._by_chat.setdefault(_chat_of(spec), {})[job_id] = None

    def drop(self, job_id: str) -> bool:
        """Remove the job; False if there was none."""
        if (spec := self._specs.pop(job_id, None)) is None:
            return False
        ids = self._by_chat.get(chat := _chat_of(spec), {})
        ids.pop(job_id, None)
        if not ids:
            self._by_chat.pop(chat, None)
        return True


def _chat_of(spec: Any) -> object:
    return spec.get("chat_id") if isinstance(spec, Mapping) else None
