import pytest

from todo_api.assistant.intents import Intent
from todo_api.assistant.mock import parse_message


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("add buy milk", Intent(kind="add", title="buy milk")),
        ("Add task: Buy milk", Intent(kind="add", title="Buy milk")),
        ("please add a task “call mum”", Intent(kind="add", title="call mum")),
        ("create water the plants", Intent(kind="add", title="water the plants")),
        ("remind me to pay rent", Intent(kind="add", title="pay rent")),
        ("add", Intent(kind="add", title=None)),
        ("list", Intent(kind="list")),
        ("List my tasks", Intent(kind="list")),
        ("show me all tasks", Intent(kind="list")),
        ("list done", Intent(kind="list", status="done")),
        ("list completed tasks", Intent(kind="list", status="done")),
        ("list open", Intent(kind="list", status="open")),
        ("show my open tasks", Intent(kind="list", status="open")),
        ("what are my tasks?", Intent(kind="list")),
        ("complete buy milk", Intent(kind="complete", title="buy milk")),
        ("complete 12", Intent(kind="complete", task_id=12)),
        ("complete #12", Intent(kind="complete", task_id=12)),
        ("mark buy milk as done", Intent(kind="complete", title="buy milk")),
        ("finish the task 'write report'", Intent(kind="complete", title="write report")),
        ("done with laundry", Intent(kind="complete", title="laundry")),
        ("reopen buy milk", Intent(kind="reopen", title="buy milk")),
        ("mark 4 as open", Intent(kind="reopen", task_id=4)),
        ("delete buy milk", Intent(kind="delete", title="buy milk")),
        ("remove task 7", Intent(kind="delete", task_id=7)),
        ("delete", Intent(kind="delete", title=None)),
        ("what's the weather?", Intent(kind="unknown")),
        ("hello", Intent(kind="unknown")),
    ],
)
def test_mock_parser(message, intent):
    assert parse_message(message) == intent


def test_add(alice):
    response = alice.chat("add water the plants")
    assert response.status_code == 200
    body = response.json()
    assert "water the plants" in body["reply"]
    assert len(body["actions"]) == 1
    action = body["actions"][0]
    assert action["type"] == "add"
    assert action["task"]["title"] == "water the plants"
    assert alice.get(f"/api/tasks/{action['task']['id']}").json()["title"] == "water the plants"


def test_add_without_title_asks_for_one(alice):
    body = alice.chat("add").json()
    assert body["actions"] == []
    assert "add buy milk" in body["reply"]


def test_add_with_too_long_title_explains(alice):
    body = alice.chat("add " + "x" * 300).json()
    assert body["actions"] == []
    assert "title" in body["reply"]
    assert alice.get("/api/tasks").json()["total"] == 0


def test_list_all_open_done(alice):
    milk = alice.add("Buy milk")
    bread = alice.add("Buy bread")
    alice.post(f"/api/tasks/{bread['id']}/complete")

    body = alice.chat("list").json()
    assert body["reply"].startswith("You have 2 tasks:")
    assert "Buy milk" in body["reply"]
    assert "Buy bread” (done)" in body["reply"]
    assert body["actions"][0]["type"] == "list"
    assert {t["id"] for t in body["actions"][0]["tasks"]} == {milk["id"], bread["id"]}

    done = alice.chat("list done").json()
    assert [t["id"] for t in done["actions"][0]["tasks"]] == [bread["id"]]
    assert done["reply"].startswith("You have 1 done task:")

    opened = alice.chat("list open").json()
    assert [t["id"] for t in opened["actions"][0]["tasks"]] == [milk["id"]]


def test_list_action_tasks_are_exactly_what_get_returns(alice):
    task = alice.add("Compare me", description="d", due_date="2030-01-02")
    listed = alice.chat("list").json()["actions"][0]["tasks"]
    assert listed == [alice.get(f"/api/tasks/{task['id']}").json()]


def test_list_when_empty(alice):
    assert alice.chat("list open tasks").json()["reply"] == "You have no open tasks."


def test_complete_by_title_case_insensitive(alice):
    task = alice.add("Buy Milk")
    body = alice.chat("complete buy milk").json()
    assert body["reply"] == f"Completed #{task['id']} “Buy Milk”."
    assert body["actions"][0]["type"] == "complete"
    assert body["actions"][0]["task"]["done"] is True
    assert alice.get(f"/api/tasks/{task['id']}").json()["done"] is True
    assert "already done" in alice.chat("complete BUY MILK").json()["reply"]


def test_complete_by_id_and_reopen(alice):
    task = alice.add("Write report")
    assert alice.chat(f"complete {task['id']}").json()["actions"][0]["task"]["done"] is True
    body = alice.chat(f"reopen #{task['id']}").json()
    assert body["actions"][0]["type"] == "reopen"
    assert alice.get(f"/api/tasks/{task['id']}").json()["done"] is False


def test_complete_by_partial_title(alice):
    task = alice.add("Write the quarterly report")
    body = alice.chat("complete quarterly").json()
    assert body["actions"][0]["task"]["id"] == task["id"]


def test_exact_title_wins_over_partial_matches(alice):
    exact = alice.add("milk")
    alice.add("milk chocolate")
    body = alice.chat("complete milk").json()
    assert body["actions"][0]["task"]["id"] == exact["id"]


def test_ambiguous_title_asks_which(alice):
    a = alice.add("Call Anna")
    b = alice.add("Call Anna's dentist")
    body = alice.chat("delete call").json()
    assert body["actions"] == []
    assert f"#{a['id']}" in body["reply"]
    assert f"#{b['id']}" in body["reply"]
    assert alice.get("/api/tasks").json()["total"] == 2


def test_delete_by_title_and_by_id(alice):
    a = alice.add("Old task")
    b = alice.add("Another")
    body = alice.chat("delete old task").json()
    assert body["actions"][0]["type"] == "delete"
    assert body["actions"][0]["task"]["id"] == a["id"]
    assert alice.get(f"/api/tasks/{a['id']}").status_code == 404
    body = alice.chat(f"delete {b['id']}").json()
    assert body["reply"] == f"Deleted #{b['id']} “Another”."
    assert alice.get("/api/tasks").json()["total"] == 0


def test_not_found(alice):
    body = alice.chat("complete nothing like this").json()
    assert body == {"reply": "I couldn't find a task matching “nothing like this”.", "actions": []}
    assert alice.chat("delete 999999").json()["reply"] == "I couldn't find task #999999."


def test_unknown_command_gets_help(alice):
    body = alice.chat("what is the meaning of life?").json()
    assert body["actions"] == []
    assert "didn't understand" in body["reply"]
    for example in ("add buy milk", "list", "complete", "delete"):
        assert example in body["reply"]
