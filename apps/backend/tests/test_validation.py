"""Bad input is 422 (with the field's name), never 500."""

import json

import pytest


def fields(response) -> set[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 422, response.text
    return {str(err["loc"][-1]) for err in response.json()["detail"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": "long enough passphrase"}, "email"),
        ({"email": "a@b", "password": "long enough passphrase"}, "email"),
        ({"email": "a\x00b@example.test", "password": "long enough passphrase"}, "email"),
        ({"email": "x" * 250 + "@example.test", "password": "long enough passphrase"}, "email"),
        ({"email": "a@example.test", "password": "short"}, "password"),
        ({"email": "a@example.test", "password": "x" * 129}, "password"),
        ({"email": "a@example.test"}, "password"),
        ({"password": "long enough passphrase"}, "email"),
        ({"email": 5, "password": "long enough passphrase"}, "email"),
    ],
)
def test_signup_validation(client, body, field):
    assert field in fields(client.post("/api/auth/signup", json=body))


def test_invalid_json_is_400(client):
    """Issue 21 changed this from 422: malformed JSON breaks no rule of the API's, and the OpenAPI
    document says 400 for it."""
    response = client.post(
        "/api/auth/signup", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Malformed JSON body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "line\nbreak"}, "title"),
        ({"title": "nul\x00byte"}, "title"),
        ({}, "title"),
        ({"title": None}, "title"),
        ({"title": "ok", "description": "x" * 5001}, "description"),
        ({"title": "ok", "description": "nul\x00"}, "description"),
        ({"title": "ok", "due_date": "tomorrow"}, "due_date"),
        ({"title": "ok", "due_date": "2030-02-30"}, "due_date"),
        ({"title": "ok", "done": "maybe"}, "done"),
    ],
)
def test_create_task_validation(alice, body, field):
    assert field in fields(alice.post("/api/tasks", json=body))


def test_title_at_the_limit_is_accepted(alice):
    assert alice.add("x" * 200)["title"] == "x" * 200


def test_description_may_have_line_breaks(alice):
    assert alice.add("t", description="a\nb\tc")["description"] == "a\nb\tc"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"done": "nope"}, "done"),
    ],
)
def test_patch_validation(alice, body, field):
    task = alice.add("t")
    assert field in fields(alice.patch(f"/api/tasks/{task['id']}", json=body))
    assert alice.get(f"/api/tasks/{task['id']}").json()["title"] == "t"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**31}, "offset"),
        ({"status": "archived"}, "status"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00b"}, "q"),
    ],
)
def test_list_query_validation(alice, params, field):
    assert field in fields(alice.get("/api/tasks", params=params))


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        (
            "POST",
            "/api/auth/signup",
            {"email": "a\ud800@example.test", "password": "long enough passphrase"},
            "email",
        ),
        (
            "POST",
            "/api/auth/signup",
            {"email": "s@example.test", "password": "long \ud800 enough passphrase"},
            "password",
        ),
        ("POST", "/api/auth/login", {"email": "alice@example.test", "password": "\udfff"}, "password"),
        ("POST", "/api/tasks", {"title": "bad \ud800"}, "title"),
        ("POST", "/api/tasks", {"title": "ok", "description": "\udc00"}, "description"),
        ("POST", "/api/chat", {"message": "add \ud800"}, "message"),
    ],
)
def test_lone_surrogates_are_422(alice, method, url, body, field):
    """JSON can carry "\ud800"; neither the databases nor argon2 can encode it."""
    raw = json.dumps(body).encode()  # keeps the escape, as a client would send it
    response = alice.client.request(
        method, url, content=raw, headers={**alice.headers, "Content-Type": "application/json"}
    )
    assert field in fields(response)


def test_non_numeric_task_id_is_422(alice):
    assert "task_id" in fields(alice.get("/api/tasks/abc"))


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "x" * 2001}, {"message": "\x00"}])
def test_chat_validation(alice, body):
    assert "message" in fields(alice.post("/api/chat", json=body))


def test_unhandled_error_is_json_500_with_request_id(client):
    def boom() -> None:
        raise RuntimeError("bug")

    client.app.add_api_route("/boom", boom)
    response = client.get("/boom", headers={"X-Request-ID": "trace-me"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error", "request_id": "trace-me"}
    assert response.headers["x-request-id"] == "trace-me"


def test_the_last_resort_500_carries_the_security_headers_too(client):
    """The request-id middleware answers an unhandled error itself; it also sets nosniff (one
    middleware for both, so no response leaves without it)."""

    def boom() -> None:
        raise RuntimeError("bug")

    client.app.add_api_route("/boom", boom)
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]
