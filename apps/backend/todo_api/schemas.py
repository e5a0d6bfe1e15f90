"""Request and response bodies (the JSON contract the frontend relies on)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
)
from pydantic_core import PydanticCustomError

from todo_api import password_policy
from todo_api.models import DESCRIPTION_MAX, EMAIL_MAX, TITLE_MAX

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f.]+$")


def _encodable(value: str) -> str:
    # JSON allows lone surrogates ("\ud800"); no database or hash function can store them.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _single_line(value: str) -> str:
    value = _encodable(value).strip()
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters or line breaks")
    return value


def _text(value: str) -> str:
    if _CONTROL_EXCEPT_WHITESPACE.search(_encodable(value)):
        raise ValueError("must not contain control characters")
    return value


def normalize_email(value: str) -> str:
    """NFKC then case-fold: look-alike spellings of one address (é as one code point or as e plus a
    combining accent, full-width letters, ß/SS) become one, so the uniqueness check sees them."""
    return unicodedata.normalize("NFKC", value.strip()).casefold()


def legacy_email(value: str) -> str:
    """How emails were stored before normalize_email (revision 0003 keeps these on a collision)."""
    return value.strip().lower()


def _email(value: str) -> str:
    value = normalize_email(_encodable(value))
    if not _EMAIL.match(value):
        raise ValueError("must be an email address like name@example.com")
    return value


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


# What the validators below enforce, stated in the OpenAPI document (JSON Schema `pattern`s, Python
# regex syntax) so that a client generated from it sends nothing they refuse. The validators stay the
# authority; a pattern may be stricter than its validator (it never allows what the validator
# refuses), and tests/test_contract.py fuzzes the document against the server to keep it so.
_NO_CONTROL = r"[^\x00-\x1f\x7f]"
_NO_CONTROL_BUT_WHITESPACE = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
ONE_LINE_PATTERN = rf"^{_NO_CONTROL}*$"
NOT_BLANK_LINE_PATTERN = rf"^{_NO_CONTROL}*[^\s\x00-\x1f\x7f]{_NO_CONTROL}*$"
TEXT_PATTERN = rf"^{_NO_CONTROL_BUT_WHITESPACE}*$"
NOT_BLANK_TEXT_PATTERN = rf"^{_NO_CONTROL_BUT_WHITESPACE}*[^\s\x00-\x1f\x7f]{_NO_CONTROL_BUT_WHITESPACE}*$"
EMAIL_SCHEMA = {"format": "email", "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"}

UTCDatetime = Annotated[datetime, AfterValidator(_as_utc)]  # naive values from SQLite are UTC
Email = Annotated[
    str, Field(min_length=5, max_length=EMAIL_MAX, json_schema_extra=EMAIL_SCHEMA), AfterValidator(_email)
]
# Length and content are checked by password_policy in Credentials (one message per reason); the
# schema states the length; what no schema can (common or breached passwords, runs, the email in it)
# is a 422 of type `password_policy`, described on the field.
Password = Annotated[
    str,
    Field(
        max_length=4096,
        json_schema_extra={
            "minLength": password_policy.MIN_LENGTH,
            "maxLength": password_policy.MAX_LENGTH,
            "pattern": TEXT_PATTERN,
            "description": "15-256 characters; common or breached passwords, repetitions, keyboard "
            "runs and passwords built from the email are refused (422, type password_policy)",
        },
    ),
    AfterValidator(_text),
]
Title = Annotated[
    str,
    Field(min_length=1, max_length=TITLE_MAX, json_schema_extra={"pattern": NOT_BLANK_LINE_PATTERN}),
    AfterValidator(_single_line),
    AfterValidator(_not_blank),
]
Description = Annotated[
    str, Field(max_length=DESCRIPTION_MAX, json_schema_extra={"pattern": TEXT_PATTERN}), AfterValidator(_text)
]
SearchText = Annotated[
    str, Field(max_length=200, json_schema_extra={"pattern": ONE_LINE_PATTERN}), AfterValidator(_single_line)
]
ChatMessage = Annotated[
    str,
    Field(min_length=1, max_length=2000, json_schema_extra={"pattern": NOT_BLANK_TEXT_PATTERN}),
    AfterValidator(_text),
    AfterValidator(str.strip),
    AfterValidator(_not_blank),
]


class Credentials(BaseModel):
    email: Email
    password: Password

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        reason = password_policy.problem(value, info.data.get("email"))
        if reason:
            raise PydanticCustomError("password_policy", "Password {reason}.", {"reason": reason})
        return value


def _valid_email_kept_as_given(value: str) -> str:
    _email(value)
    return value.strip()


class LoginIn(BaseModel):
    """Login does not re-apply the signup password policy (older accounts may have shorter
    passwords); it only bounds the size. `email` is kept as typed: `account` is the normalised key,
    `legacy_account` the pre-0003 form (see routes/auth.py)."""

    email: Annotated[
        str,
        Field(min_length=5, max_length=EMAIL_MAX, json_schema_extra=EMAIL_SCHEMA),
        AfterValidator(_valid_email_kept_as_given),
    ]
    password: Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_encodable)]

    @property
    def account(self) -> str:
        return normalize_email(self.email)

    @property
    def legacy_account(self) -> str:
        return legacy_email(self.email)


class PasswordChange(BaseModel):
    """The new password must pass the signup policy (checked with the account's email, 422 naming
    the rule); the current one only needs to be right."""

    current_password: Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_encodable)]
    new_password: Password


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int = Field(description="seconds until the token expires")
    user: UserOut


class TaskCreate(BaseModel):
    title: Title
    description: Description | None = None
    due_date: date | None = None
    done: bool = False


class TaskUpdate(BaseModel):
    """Only the fields present in the body change; `description`/`due_date` may be set to null."""

    title: Title = None  # type: ignore[assignment] - absent is allowed, null is not
    description: Description | None = None
    due_date: date | None = None
    done: bool | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    done: bool
    due_date: date | None
    created_at: UTCDatetime
    updated_at: UTCDatetime
    completed_at: UTCDatetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Literal["open", "done"]:
        return "done" if self.done else "open"


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    limit: int
    offset: int


TASK_FIELDS = ("id", "title", "description", "done", "due_date", "created_at", "updated_at", "completed_at")


def task_page_json(rows: Iterable[Sequence[Any]], total: int, limit: int, offset: int) -> bytes:
    """The JSON of a TaskPage, straight from database rows (TASK_FIELDS order, UTC datetimes; naive
    ones are taken as UTC).

    The task list is the hot path: this skips building and validating a pydantic model per task
    (about a third of the request's CPU time for 100 tasks). The output is byte-for-byte what
    TaskPage would produce; tests compare the two. One dict literal per row (keys in TaskOut's order,
    values by position) costs about half of dict(zip(TASK_FIELDS, row)) plus a key added after.
    """
    items = [
        {
            "id": row[0],
            "title": row[1],
            "description": row[2],
            "done": row[3],
            "due_date": row[4],
            "created_at": row[5],
            "updated_at": row[6],
            "completed_at": row[7],
            "status": "done" if row[3] else "open",
        }
        for row in rows
    ]
    page = {"items": items, "total": total, "limit": limit, "offset": offset}
    return orjson.dumps(page, option=orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)


class ChatIn(BaseModel):
    message: ChatMessage


class ChatAction(BaseModel):
    """What the assistant did: add/complete/reopen/delete carry `task` (for delete: as it was),
    list carries `tasks`."""

    type: Literal["add", "list", "complete", "reopen", "delete"]
    task: TaskOut | None = None
    tasks: list[TaskOut] | None = None


class ChatOut(BaseModel):
    reply: str
    actions: list[ChatAction]


class ErrorOut(BaseModel):
    detail: str


# On every route that reads a JSON body (app.py answers it).
MALFORMED_JSON = {400: {"model": ErrorOut, "description": "the body is not well-formed JSON"}}
