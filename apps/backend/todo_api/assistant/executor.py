"""Carries out an Intent against the caller's tasks and words the answer."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import Row
from sqlalchemy.orm import Session

from todo_api import tasks_repo
from todo_api.assistant.intents import Intent
from todo_api.models import Task
from todo_api.schemas import ChatAction, ChatOut, TaskOut, Title

HELP = (
    "I can manage your tasks. Try: “add buy milk”, “list”, “list open”, “list done”, "
    "“complete buy milk” (or “complete 3” by id), “reopen buy milk”, “delete buy milk”."
)
LIST_ACTION_MAX = 100
LIST_REPLY_MAX = 20

_title_adapter = TypeAdapter(Title)


def _q(task: Task | Row) -> str:
    return f"#{task.id} “{task.title}”"


def _resolve(session: Session, owner_id: int, intent: Intent) -> Task | str:
    """The one task the intent refers to, or a reply explaining why there is none."""
    if intent.task_id is not None:
        task = tasks_repo.get_task(session, owner_id, intent.task_id)
        return task if task is not None else f"I couldn't find task #{intent.task_id}."
    if not intent.title:
        verb = intent.kind
        return f"Which task should I {verb}? Say its title or id, e.g. “{verb} buy milk” or “{verb} 3”."
    matches = tasks_repo.find_by_title(session, owner_id, intent.title)
    if not matches:
        return f"I couldn't find a task matching “{intent.title}”."
    if len(matches) > 1:
        shown = ", ".join(_q(t) for t in matches[:10])
        more = " (and more)" if len(matches) > 10 else ""
        return (
            f"Several tasks match “{intent.title}”: {shown}{more}. "
            f"Which one? Use its id, e.g. “{intent.kind} {matches[0].id}”."
        )
    task = tasks_repo.get_task(session, owner_id, matches[0].id)
    return task if task is not None else f"I couldn't find a task matching “{intent.title}”."


def run(session: Session, owner_id: int, intent: Intent, quota: tasks_repo.Quota | None = None) -> ChatOut:
    if intent.kind == "add":
        if not intent.title:
            return ChatOut(reply="What should the new task say? Try “add buy milk”.", actions=[])
        try:
            title = _title_adapter.validate_python(intent.title)
        except ValidationError as exc:
            return ChatOut(reply=f"I can't add that: the title {exc.errors()[0]['msg'].lower()}.", actions=[])
        task = tasks_repo.create_task(session, owner_id, title=title, quota=quota)  # QuotaExceeded: 409
        return ChatOut(
            reply=f"Added {_q(task)}.", actions=[ChatAction(type="add", task=TaskOut.model_validate(task))]
        )

    if intent.kind == "list":
        items, total = tasks_repo.list_tasks(session, owner_id, status=intent.status, limit=LIST_ACTION_MAX)
        label = f"{intent.status} " if intent.status else ""
        if total == 0:
            reply = f"You have no {label}tasks."
        else:
            noun = "task" if total == 1 else "tasks"
            lines = [f"- {_q(t)}{' (done)' if t.done and not intent.status else ''}" for t in items]
            more = f"\n…and {total - LIST_REPLY_MAX} more." if total > LIST_REPLY_MAX else ""
            reply = f"You have {total} {label}{noun}:\n" + "\n".join(lines[:LIST_REPLY_MAX]) + more
        return ChatOut(
            reply=reply, actions=[ChatAction(type="list", tasks=[TaskOut.model_validate(t) for t in items])]
        )

    if intent.kind in ("complete", "reopen", "delete"):
        target = _resolve(session, owner_id, intent)
        if isinstance(target, str):
            return ChatOut(reply=target, actions=[])
        if intent.kind == "delete":
            snapshot = TaskOut.model_validate(target)
            tasks_repo.delete_task(session, target)
            return ChatOut(reply=f"Deleted {_q(target)}.", actions=[ChatAction(type="delete", task=snapshot)])
        done = intent.kind == "complete"
        if target.done == done:
            reply = f"{_q(target)} is already {'done' if done else 'open'}."
        else:
            tasks_repo.set_done(session, target, done)
            reply = f"{'Completed' if done else 'Reopened'} {_q(target)}."
        return ChatOut(
            reply=reply, actions=[ChatAction(type=intent.kind, task=TaskOut.model_validate(target))]
        )

    reply = intent.reply or f"Sorry, I didn't understand that. {HELP}"
    return ChatOut(reply=reply, actions=[])
