"""The event catalogue (realtime/events.py) is the only way out, and shared shapes have one definition.

docs/protocol.md is checked against it in tests/test_protocol_doc.py; every frame a socket sends in
the in-process tests is checked against it by conftest.py (`_frames_match_the_event_catalogue`).
"""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest
from rest_framework import serializers

from chat.events import ChatMessage, ChatUpdate, MessageData, UserBrief
from chat.serializers import MessageOutput, UserBriefOutput
from realtime.consumers import BaseConsumer
from realtime.envelope import server_frame
from realtime.events import CATALOGUE, OMIT, Error, Pong, check_frame, error, load_catalogue
from realtime.outputs import PayloadOutput
from realtime.publish import apublish, build_message, publish


@pytest.mark.parametrize("not_an_event", ["chat_message", {"type": "chat_message", "data": {}}, None, MessageData])
def test_publishing_anything_but_a_catalogue_event_is_a_type_error(not_an_event: Any) -> None:
    with pytest.raises(TypeError):
        build_message(not_an_event)
    with pytest.raises(TypeError):
        publish("some-group", not_an_event)
    with pytest.raises(TypeError):
        server_frame(not_an_event)


async def test_apublish_and_send_event_refuse_anything_but_a_catalogue_event() -> None:
    with pytest.raises(TypeError):
        await apublish("some-group", "pong")  # type: ignore[arg-type]
    consumer = BaseConsumer()
    consumer.closed = False
    with pytest.raises(TypeError):
        await consumer.send_event("pong", {})  # type: ignore[call-arg,arg-type]
    with pytest.raises(TypeError):
        await consumer.send_event({"type": "pong"})  # type: ignore[arg-type]


def test_an_event_takes_no_field_it_does_not_declare() -> None:
    with pytest.raises(TypeError):
        Pong(ts=1, extra=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        error("invalid", "Bad.", unknown_key=1)
    assert error("room_full", "Full.", max_participants=4).data() == {
        "code": "room_full",
        "message": "Full.",
        "max_participants": 4,
    }
    assert Error(code="x", message="y", type_="chat_message").data() == {
        "code": "x",
        "message": "y",
        "type": "chat_message",
    }


def test_the_catalogue_holds_every_apps_events_once() -> None:
    catalogue = load_catalogue()
    apps = {app for app, _ in catalogue}
    assert apps >= {"realtime", "chat", "notifications", "items", "livestream", "rtc"}
    assert catalogue[("chat", "chat_message")] is ChatMessage
    assert catalogue is CATALOGUE
    # A type two apps declare (connection_established, peer_left, ice_candidate) is two entries, one per app.
    assert {("chat", "connection_established"), ("livestream", "connection_established")} <= set(catalogue)


def test_optional_fields_are_left_out_and_nested_payloads_become_dicts() -> None:
    assert Pong().data() == {}
    assert Pong(ts=5).data() == {"ts": 5}
    update = ChatUpdate(conversation=1, last_message=None, unread_count=0)
    assert update.data() == {"conversation": 1, "last_message": None, "unread_count": 0}
    assert OMIT is not None and not OMIT


def test_check_frame_accepts_exactly_the_declared_fields() -> None:
    assert check_frame({"type": "pong", "data": {}}) is None
    assert check_frame({"type": "pong", "data": {"ts": 1}}) is None
    assert "not in the event catalogue" in str(check_frame({"type": "made_up", "data": {}}))
    assert "match no declared event" in str(check_frame({"type": "pong", "data": {"ts": 1, "extra": 2}}))
    assert "match no declared event" in str(check_frame({"type": "unread_count", "data": {}}))
    assert "not an event frame" in str(check_frame(["pong"]))


def _declared(serializer: serializers.Serializer) -> set[str]:
    return set(serializer.fields)


def test_every_payload_output_declares_exactly_its_payloads_fields() -> None:
    import notifications.serializers

    outputs = PayloadOutput.__subclasses__()
    assert {MessageOutput, notifications.serializers.NotificationOutput} <= set(outputs)
    for output in outputs:
        assert tuple(output().fields) == output.payload.field_names(), output


def test_the_rest_message_output_declares_exactly_the_message_payload_fields() -> None:
    # MessageOutput renders MessageData itself; its declared fields exist for OpenAPI and must not drift.
    assert _declared(MessageOutput()) == {f.name for f in fields(MessageData)}
    assert _declared(UserBriefOutput()) == {f.name for f in fields(UserBrief)}
    assert MessageOutput.payload is MessageData
    assert {f.name for f in fields(ChatMessage)} == {f.name for f in fields(MessageData)}


@pytest.mark.django_db
def test_rest_and_socket_show_a_message_with_the_same_keys_and_values(make_user: Any) -> None:
    from chat.services import conversation_get_or_create_direct, message_create

    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    message, _ = message_create(sender=a, conversation_id=conversation.pk, text="hi", client_id="c1", viewing=set())
    rest = MessageOutput(message).data
    socket = json.loads(build_message(ChatMessage.of(message))["text"])["data"]
    assert set(rest) == set(socket) == {f.name for f in fields(MessageData)}
    assert {k: v for k, v in rest.items() if k != "created_at"} == {
        k: v for k, v in socket.items() if k != "created_at"
    }
    assert rest["created_at"][:19] == socket["created_at"][:19]  # the same instant; REST keeps microseconds


@pytest.mark.django_db
def test_rest_lists_a_notification_with_the_events_fields_plus_read_at(make_user: Any) -> None:
    from notifications.events import NewNotification
    from notifications.models import Notification
    from notifications.serializers import NotificationOutput

    recipient, actor = make_user(), make_user()
    notification = Notification.objects.create(
        recipient=recipient, actor=actor, type="follow", priority="medium", group_key="follow", text="x followed you"
    )
    rest = NotificationOutput(notification).data
    socket = json.loads(build_message(NewNotification.of(notification))["text"])["data"]
    assert set(rest) == set(socket) | {"read_at"}
    assert {k: rest[k] for k in socket if k != "created_at"} == {k: v for k, v in socket.items() if k != "created_at"}
    assert rest["type"] == "follow" and rest["read_at"] is None and rest["actor"]["id"] == actor.pk
