"""/chat: rooms per article, broadcasts with acks, validated payloads (Q070, Q125)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from demo.websockets import chat
from tests.websockets.conftest import access_token, create_member

pytestmark = pytest.mark.answers("Q070", "Q125")

ROOM = {"slug": "hello-world"}


def _events(client, name):
    return [event for event in client.get_received("/chat") if event["name"] == name]


def _messages(client):
    # The test client hands the payload of a "message" event over unwrapped.
    return [event["args"] for event in _events(client, "message")]


@pytest.fixture
def ann_chat(connect, ann):
    """Ann on /chat, in the room of her article."""
    client = connect("/chat", user=ann)
    assert client.emit("join", ROOM, callback=True, namespace="/chat") == {
        "ok": True,
        "room": "hello-world",
    }
    return client


def test_message_reaches_the_room_stamped_by_the_server(connect, ann_chat, bob):
    """A message goes to every member of the room with the sender's name and a server time."""
    bob_chat = connect("/chat", token=access_token(bob))
    bob_chat.emit("join", ROOM, callback=True, namespace="/chat")
    before = datetime.now(UTC)

    ack = bob_chat.emit("message", {**ROOM, "text": "  hi ann  "}, callback=True, namespace="/chat")

    assert ack["ok"] is True and len(ack["id"]) == 32
    for member in (ann_chat, bob_chat):
        (message,) = _messages(member)
        assert message["id"] == ack["id"]
        assert (message["slug"], message["text"], message["username"]) == (
            "hello-world",
            "hi ann",
            "bob",
        )
        sent_at = datetime.fromisoformat(message["sent_at"])
        assert before - timedelta(seconds=1) <= sent_at <= datetime.now(UTC)


def test_connections_outside_the_room_hear_nothing(connect, ann_chat, bob):
    """Rooms scope broadcasts: a connected user who has not joined receives no message."""
    outsider = connect("/chat", user=bob)
    ann_chat.emit("message", {**ROOM, "text": "members only"}, callback=True, namespace="/chat")
    assert _messages(ann_chat)
    assert _messages(outsider) == []


def test_leaving_a_room_stops_delivery(connect, ann_chat, bob):
    """After `leave` a connection receives nothing more from that room."""
    bob_chat = connect("/chat", user=bob)
    bob_chat.emit("join", ROOM, callback=True, namespace="/chat")
    left = bob_chat.emit("leave", ROOM, callback=True, namespace="/chat")
    ann_chat.emit("message", {**ROOM, "text": "still there?"}, callback=True, namespace="/chat")

    assert left == {"ok": True, "room": "hello-world"}
    assert _messages(bob_chat) == []
    assert [m["text"] for m in _messages(ann_chat)] == ["still there?"]


def test_posting_to_a_room_you_have_not_joined_is_refused(connect, ann, bob):
    """Only members may post: the ack says to join first and nobody receives the text."""
    bob_chat = connect("/chat", user=bob)
    ack = bob_chat.emit("message", {**ROOM, "text": "drive-by"}, callback=True, namespace="/chat")
    assert ack == {"ok": False, "error": "join 'hello-world' before posting to it"}
    assert _messages(bob_chat) == []


def test_joining_the_room_of_a_missing_article_is_refused(connect, ann):
    """Rooms exist only for real articles."""
    client = connect("/chat", user=ann)
    ack = client.emit("join", {"slug": "no-such-article"}, callback=True, namespace="/chat")
    assert ack == {"ok": False, "error": "no article 'no-such-article'"}


BAD_MESSAGES = {
    "no payload": (None, "_schema"),
    "not an object": ("hello", "_schema"),
    "list": (["hello-world", "hi"], "_schema"),
    "missing text": ({"slug": "hello-world"}, "text"),
    "blank text": ({"slug": "hello-world", "text": "   "}, "text"),
    "too long": ({"slug": "hello-world", "text": "x" * 1001}, "text"),
    "text not a string": ({"slug": "hello-world", "text": 7}, "text"),
    "bad slug": ({"slug": "Hello World!", "text": "hi"}, "slug"),
    "spoofed sender": ({"slug": "hello-world", "text": "hi", "username": "admin"}, "username"),
}


@pytest.mark.parametrize("case", list(BAD_MESSAGES))
def test_bad_payloads_get_an_error_event_and_a_failed_ack(ann_chat, case):
    """Invalid events are refused field by field; the connection stays up and usable."""
    payload, field = BAD_MESSAGES[case]
    args = () if payload is None else (payload,)

    ack = ann_chat.emit("message", *args, callback=True, namespace="/chat")

    assert ack["ok"] is False and ack["error"] == "invalid payload"
    assert field in ack["fields"]
    (error,) = _events(ann_chat, "error")
    assert error["args"] == [{"event": "message", "error": ack["error"], "fields": ack["fields"]}]
    assert ann_chat.is_connected("/chat")
    good = ann_chat.emit(
        "message", {**ROOM, "text": "still here"}, callback=True, namespace="/chat"
    )
    assert good["ok"] is True


def test_a_message_of_exactly_1000_characters_is_accepted(ann_chat):
    """The length limit is inclusive: 1000 characters pass, 1001 do not (see above)."""
    ack = ann_chat.emit("message", {**ROOM, "text": "x" * 1000}, callback=True, namespace="/chat")
    assert ack["ok"] is True
    assert len(_messages(ann_chat)[0]["text"]) == 1000


def test_an_unexpected_error_is_logged_and_answered_not_raised(ann_chat, monkeypatch, caplog):
    """A handler bug becomes a logged traceback and an "internal error" ack, not a dead socket."""

    def broken(_slug: str) -> bool:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(chat, "article_exists", broken)
    with caplog.at_level(logging.ERROR, logger="demo.websockets.guard"):
        ack = ann_chat.emit("join", ROOM, callback=True, namespace="/chat")

    assert ack == {"ok": False, "error": "internal error"}
    (record,) = caplog.records
    assert record.exc_info[1].args == ("database on fire",)
    assert "database on fire" not in str(ack)  # internals stay in the log
    assert ann_chat.is_connected("/chat")


def test_the_sender_name_comes_from_the_connection_not_the_client(connect, ann_chat):
    """Two users, two connections: each message carries its own connection's user."""
    cid = create_member("cid")
    cid_chat = connect("/chat", user=cid)  # two cookie logins: each keeps its own user
    cid_chat.emit("join", ROOM, callback=True, namespace="/chat")
    ann_chat.emit("message", {**ROOM, "text": "from ann"}, callback=True, namespace="/chat")
    cid_chat.emit("message", {**ROOM, "text": "from cid"}, callback=True, namespace="/chat")
    assert [(m["username"], m["text"]) for m in _messages(ann_chat)] == [
        ("ann", "from ann"),
        ("cid", "from cid"),
    ]
