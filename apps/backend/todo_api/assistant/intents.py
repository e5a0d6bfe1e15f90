"""The contract between providers and the executor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

IntentKind = Literal["add", "list", "complete", "reopen", "delete", "unknown"]
TASK_TARGET_KINDS = ("complete", "reopen", "delete")


@dataclass(frozen=True)
class Intent:
    kind: IntentKind
    title: str | None = None  # add: the new title; complete/reopen/delete: the title to match
    task_id: int | None = None  # complete/reopen/delete by id
    status: Literal["open", "done"] | None = None  # list filter
    reply: str | None = None  # unknown: what the provider wants to say instead


class ProviderError(Exception):
    """The upstream model failed (HTTP error, timeout, unusable answer); the API maps it to 502."""


class AssistantProvider(Protocol):
    name: str

    async def parse(self, message: str) -> Intent: ...

    async def aclose(self) -> None: ...
