"""The OpenAPI document is the API's contract: requests generated from it (property-based, with
hypothesis-jsonschema) are never refused with 422 and never fail with 500. Bounded: a fixed number
of examples per operation, derandomized (the same examples on every run), on SQLite."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from tests.conftest import PASSWORD, ApiUser

EXAMPLES = 40
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Rules no JSON Schema can state; the document describes them on the field (Password).
SEMANTIC_422 = {"password_policy"}


@pytest.fixture
def api(sqlite_url: str, make_client: Callable[..., TestClient]) -> tuple[TestClient, dict]:
    client = make_client(
        sqlite_url,
        signups_per_address=1_000_000,
        signups_total=1_000_000,
        login_failures_per_address=100_000,
        login_free_failures=1000,
        chat_requests_per_minute=100_000,
    )
    return client, client.get("/openapi.json").json()


def _body_strategy(document: dict, path: str, method: str) -> st.SearchStrategy:
    operation = document["paths"][path][method]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    return from_schema({**schema, "components": document["components"]})


def _query_strategy(document: dict, path: str, method: str) -> st.SearchStrategy:
    parameters = [p for p in document["paths"][path][method].get("parameters", []) if p["in"] == "query"]
    schema = {
        "type": "object",
        "properties": {p["name"]: p["schema"] for p in parameters},
        "required": [p["name"] for p in parameters if p.get("required")],
        "additionalProperties": False,
    }
    return from_schema(schema)


def _accepted(response, allowed: set[int]) -> None:  # type: ignore[no-untyped-def]
    if response.status_code == 422:
        types = {error.get("type") for error in response.json()["detail"]}
        assert types <= SEMANTIC_422, f"schema-valid request refused: {response.text}"
        return
    assert response.status_code in allowed, response.text


def test_the_document_states_what_the_validators_enforce(api):
    _, document = api
    schemas = document["components"]["schemas"]
    title = schemas["TaskCreate"]["properties"]["title"]
    assert title["minLength"] == 1
    assert "pattern" in title
    assert schemas["Credentials"]["properties"]["password"]["minLength"] == 15
    assert "pattern" in schemas["Credentials"]["properties"]["email"]
    assert schemas["TaskUpdate"]["properties"]["title"].get("type") == "string"  # null is refused
    q = next(p for p in document["paths"]["/api/tasks"]["get"]["parameters"] if p["name"] == "q")
    assert "pattern" in q["schema"]["anyOf"][0]
    assert "400" in document["paths"]["/api/tasks"]["post"]["responses"]
    assert "409" in document["paths"]["/api/tasks"]["post"]["responses"]
    assert set(document["paths"]["/api/tasks/{task_id}"]) == {"get", "patch", "delete"}


def test_signup_and_login_requests_from_the_document_are_accepted(api):
    client, document = api

    @FUZZ
    @given(_body_strategy(document, "/api/auth/signup", "post"))
    def signup(body: dict) -> None:
        _accepted(client.post("/api/auth/signup", json=body), {201, 409})

    @FUZZ
    @given(_body_strategy(document, "/api/auth/login", "post"))
    def login(body: dict) -> None:
        _accepted(client.post("/api/auth/login", json=body), {200, 401})

    signup()
    login()


def test_task_and_chat_requests_from_the_document_are_accepted(api):
    client, document = api
    user = ApiUser(client, "fuzz@example.test")
    task_id = user.add("the task to patch")["id"]

    @FUZZ
    @given(_body_strategy(document, "/api/tasks", "post"))
    def create(body: dict) -> None:
        _accepted(user.post("/api/tasks", json=body), {201})

    @FUZZ
    @given(_body_strategy(document, "/api/tasks/{task_id}", "patch"))
    def patch(body: dict) -> None:
        _accepted(user.patch(f"/api/tasks/{task_id}", json=body), {200})

    @FUZZ
    @given(_query_strategy(document, "/api/tasks", "get"))
    def listing(params: dict) -> None:
        _accepted(user.get("/api/tasks", params={k: v for k, v in params.items() if v is not None}), {200})

    @FUZZ
    @given(_body_strategy(document, "/api/chat", "post"))
    def chat(body: dict) -> None:
        _accepted(user.post("/api/chat", json=body), {200})

    create()
    patch()
    listing()
    chat()


def test_password_change_requests_from_the_document_are_accepted(api):
    client, document = api
    user = ApiUser(client, "fuzz-password@example.test")

    @FUZZ
    @given(_body_strategy(document, "/api/auth/password", "post"))
    def change(body: dict) -> None:
        body = {**body, "current_password": PASSWORD} if body["current_password"] == "x" else body
        response = user.post("/api/auth/password", json=body)
        _accepted(response, {200, 403})
        assert response.status_code != 200  # only with the right current password

    change()
