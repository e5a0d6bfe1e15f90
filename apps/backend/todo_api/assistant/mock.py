"""Deterministic, offline provider: a handful of rules, no network."""

from __future__ import annotations

import re

from todo_api.assistant.intents import Intent

_PREFIX = r"^(?:please\s+|can you\s+|could you\s+)?"
# "a" is skipped only in "add a task …": in "add A team meeting" it belongs to the title.
_ADD = re.compile(
    _PREFIX
    + r"(?:add|create|new|remember(?: to)?|remind me to)\b[:\s]*"
    + r"(?:(?:a\s+|the\s+)?task\b[:\s]*)?(.*)$",
    re.I | re.S,
)
_LIST = re.compile(
    _PREFIX
    + r"(?:list|show|what are|what's|whats)\b(?:\s+(?:me|all|my|the))*"
    + r"(?:\s+(open|pending|todo|to-do|remaining|unfinished|done|completed|finished|closed))?"
    + r"(?:\s+(?:tasks?|todos?|items?))?"
    + r"(?:\s+(open|pending|todo|remaining|unfinished|done|completed|finished|closed))?\s*[?.!]*$",
    re.I,
)
_COMPLETE = re.compile(
    _PREFIX
    + r"(?:complete|finish|check off|check|tick off|tick|close|mark)\b[:\s]*"
    + r"(.*?)(?:\s+as\s+(?:done|complete|completed|finished))?\s*$",
    re.I | re.S,
)
_DONE_WITH = re.compile(r"^(?:i\s+)?(?:did|done(?: with)?|finished)\b[:\s]+(.*)$", re.I | re.S)
_REOPEN = re.compile(
    _PREFIX
    + r"(?:reopen|re-open|uncheck|undo|unfinish|mark)\b[:\s]*"
    + r"(.*?)(?:\s+as\s+(?:open|not done|undone|todo))?\s*$",
    re.I | re.S,
)
_DELETE = re.compile(_PREFIX + r"(?:delete|remove|drop|trash|forget)\b[:\s]*(.*)$", re.I | re.S)
_TASK_WORD = re.compile(r"^(?:the\s+)?(?:task|todo|item)\b[:\s]*", re.I)
_ID = re.compile(r"^(?:#|id\s*|number\s*|no\.?\s*)?(\d{1,12})$", re.I)
_DONE_WORDS = {"done", "completed", "finished", "closed"}


def _clean(target: str) -> str:
    target = target.strip().rstrip(".!?").strip()
    target = _TASK_WORD.sub("", target).strip()
    if len(target) >= 2 and target[0] == target[-1] and target[0] in "\"'`“”":
        target = target[1:-1].strip()
    return target.strip("\"'“”`").strip()


def _targeted(kind: str, raw: str) -> Intent:
    target = _clean(raw)
    match = _ID.match(target)
    if match:
        return Intent(kind=kind, task_id=int(match.group(1)))  # type: ignore[arg-type]
    return Intent(kind=kind, title=target or None)  # type: ignore[arg-type]


class MockProvider:
    name = "mock"

    async def parse(self, message: str) -> Intent:
        return parse_message(message)

    async def aclose(self) -> None:
        return None


def parse_message(message: str) -> Intent:
    text = " ".join(message.split())
    if m := _LIST.match(text):
        word = (m.group(1) or m.group(2) or "").lower()
        if not word:
            return Intent(kind="list")
        return Intent(kind="list", status="done" if word in _DONE_WORDS else "open")
    if m := _ADD.match(text):
        return Intent(kind="add", title=_clean(m.group(1)) or None)
    # "mark X as open" is a reopen; "mark X (as done)" a completion.
    if re.match(r"^(?:please\s+)?mark\b.*\bas\s+(?:open|not done|undone|todo)\s*[.!]*$", text, re.I):
        m = _REOPEN.match(text)
        return _targeted("reopen", m.group(1) if m else "")
    if re.match(_PREFIX + r"(?:reopen|re-open|uncheck|undo|unfinish)\b", text, re.I):
        m = _REOPEN.match(text)
        return _targeted("reopen", m.group(1) if m else "")
    if m := _COMPLETE.match(text):
        return _targeted("complete", m.group(1))
    if m := _DONE_WITH.match(text):
        return _targeted("complete", m.group(1))
    if m := _DELETE.match(text):
        return _targeted("delete", m.group(1))
    return Intent(kind="unknown")
