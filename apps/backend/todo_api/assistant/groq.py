"""Groq (or any OpenAI-compatible) chat completions with function calling.

The model is asked to call exactly one of the task tools; its call becomes an Intent. Everything that
can go wrong upstream (connection, timeout, HTTP error, an answer we cannot use) raises ProviderError,
which the API turns into 502 with a message that says what happened.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from todo_api import __version__
from todo_api.assistant.intents import Intent, ProviderError

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "You are the assistant of a todo app. Turn the user's message into exactly one call of the "
    "provided tools: add_task, list_tasks, complete_task, reopen_task or delete_task. Refer to an "
    "existing task by its numeric id when the user gives one, otherwise by its title as the user "
    "wrote it. If the message is not about managing tasks, do not call a tool; answer in one short "
    "sentence saying what you can do."
)

_TARGET_PARAMS = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "description": "title (or part of it) of the existing task"},
        "task_id": {"type": "integer", "description": "numeric id of the task, when the user gives one"},
    },
}

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "add_task",
            "description": "Create a new task.",
            "parameters": {
                "type": "object",
                "properties": {"title": {"type": "string", "description": "the new task's title"}},
                "required": ["title"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "list_tasks",
            "description": "List the user's tasks, optionally only open or only done ones.",
            "parameters": {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": ["all", "open", "done"]}},
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "complete_task",
            "description": "Mark an existing task as done.",
            "parameters": _TARGET_PARAMS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "reopen_task",
            "description": "Mark a done task as open again.",
            "parameters": _TARGET_PARAMS,
        },
    },
    {
        "type": "function",
        "function": {
            "name": "delete_task",
            "description": "Delete an existing task.",
            "parameters": _TARGET_PARAMS,
        },
    },
]

_TOOL_KINDS = {
    "add_task": "add",
    "list_tasks": "list",
    "complete_task": "complete",
    "reopen_task": "reopen",
    "delete_task": "delete",
}


class GroqProvider:
    name = "groq"

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        model: str,
        timeout_seconds: float,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.model = model
        self.timeout_seconds = timeout_seconds
        self.url = base_url.rstrip("/") + "/chat/completions"
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": f"todo-api/{__version__}",
            },
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def parse(self, message: str) -> Intent:
        payload = {
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": message},
            ],
            "tools": TOOLS,
            "tool_choice": "auto",
            "temperature": 0,
            "max_tokens": 256,
        }
        try:
            async with asyncio.timeout(self.timeout_seconds):
                response = await self._client.post(self.url, json=payload)
        except (TimeoutError, httpx.TimeoutException):
            raise ProviderError(
                f"AI provider did not answer within {self.timeout_seconds:g} s (GROQ_TIMEOUT_SECONDS)"
            ) from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"AI provider unreachable: {type(exc).__name__}: {exc}") from None

        if response.status_code != 200:
            log.warning(
                "AI provider error",
                extra={"upstream_status": response.status_code, "upstream_body": response.text[:500]},
            )
            hint = " (check GROQ_API_KEY)" if response.status_code in (401, 403) else ""
            raise ProviderError(f"AI provider returned HTTP {response.status_code}{hint}")
        try:
            return intent_from_completion(response.json())
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            log.warning("AI provider answer unusable", extra={"upstream_body": response.text[:500]})
            raise ProviderError(f"AI provider returned an unusable response ({exc})") from None


def intent_from_completion(data: Any) -> Intent:
    """The Intent in an OpenAI-style chat completion; ValueError/KeyError/... when there is none."""
    message = data["choices"][0]["message"]
    tool_calls = message.get("tool_calls") or []
    if not tool_calls:
        content = message.get("content")
        if not isinstance(content, str) or not content.strip():
            raise ValueError("neither a tool call nor text")
        return Intent(kind="unknown", reply=content.strip())

    function = tool_calls[0]["function"]
    name = function["name"]
    if name not in _TOOL_KINDS:
        raise ValueError(f"unknown tool {name!r}")
    raw_args = function.get("arguments") or "{}"
    args = json.loads(raw_args) if isinstance(raw_args, str) else raw_args
    if not isinstance(args, dict):
        raise ValueError("tool arguments are not an object")
    kind = _TOOL_KINDS[name]

    if kind == "add":
        title = args.get("title")
        if not isinstance(title, str) or not title.strip():
            raise ValueError("add_task without a title")
        return Intent(kind="add", title=title.strip())
    if kind == "list":
        status = args.get("status")
        return Intent(kind="list", status=status if status in ("open", "done") else None)

    task_id = args.get("task_id")
    if isinstance(task_id, str) and task_id.strip().lstrip("#").isdigit():
        task_id = int(task_id.strip().lstrip("#"))
    if isinstance(task_id, bool) or not isinstance(task_id, int):
        task_id = None
    title = args.get("title")
    title = title.strip() if isinstance(title, str) and title.strip() else None
    if task_id is None and title is None:
        raise ValueError(f"{name} without title or task_id")
    return Intent(kind=kind, task_id=task_id, title=title)  # type: ignore[arg-type]
