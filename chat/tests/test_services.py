"""Chat services against the database: rules, idempotency, positions, and what is published after commit."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from chat.models import Conversation, Membership, Message
from chat.presence import conversation_viewers_blocking
from chat.services import (
    Receipt,
    conversation_create_group,
    conversation_get_or_create_direct,
    message_create,
    message_mark_read,
    receipts_apply,
)
from chat.signals import message_created
from realtime.errors import Forbidden, InvalidInput, NotFound
from realtime.groups import conversation_group, conversation_member_group, conversation_scope, user_group
from realtime.presence import get_presence_store

pytestmark = [pytest.mark.django_db]


def test_direct_conversation_is_unique_per_pair_in_either_order(make_user):
    a, b = make_user(), make_user()
    first, created = conversation_get_or_create_direct(user=a, other=b)
    again, created_again = conversation_get_or_create_direct(user=b, other=a)
    assert created and not created_again
    assert first.pk == again.pk
    assert set(first.memberships.values_list("user_id", flat=True)) == {a.pk, b.pk}
    assert Conversation.objects.filter(kind="direct").count() == 1


def test_direct_conversation_with_yourself_is_refused(make_user):
    a = make_user()
    with pytest.raises(InvalidInput):
        conversation_get_or_create_direct(user=a, other=a)


@override_settings(CHAT_GROUP_MAX_MEMBERS=3)
def test_group_member_limit_counts_the_creator(make_user):
    creator, x, y, z = make_user(), make_user(), make_user(), make_user()
    group = conversation_create_group(creator=creator, title="Trip", members=[x, y, x])
    assert group.memberships.count() == 3
    with pytest.raises(InvalidInput) as exc:
        conversation_create_group(creator=creator, title="Too big", members=[x, y, z])
    assert exc.value.field == "members"
    with pytest.raises(InvalidInput):
        conversation_create_group(creator=creator, title="   ", members=[x])


def test_message_is_published_only_after_commit(direct, sent, django_capture_on_commit_callbacks):
    a, b, conversation = direct
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message, created = message_create(sender=a, conversation_id=conversation.pk, text="hello", client_id="c-1")
    assert created and sent == []  # nothing left before the commit
    for callback in callbacks:
        callback()
    by_group = {group: frame for group, event, frame in sent if event in {"chat_message", "chat_update"}}
    frame = by_group[conversation_group(conversation.pk)]
    assert frame["type"] == "chat_message" and frame["id"] == message.pk
    assert frame["data"] == {
        "id": message.pk,
        "conversation": conversation.pk,
        "sender": {"id": a.pk, "username": a.username},
        "text": "hello",
        "created_at": frame["data"]["created_at"],
        "client_id": "c-1",
    }
    # each member's personal group gets chat_update with their own unread count
    assert by_group[user_group(b.pk)]["data"]["unread_count"] == 1
    assert by_group[user_group(a.pk)]["data"]["unread_count"] == 0
    assert by_group[user_group(b.pk)]["data"]["last_message"]["id"] == message.pk
    conversation.refresh_from_db()
    assert conversation.last_message_id == message.pk


def test_resending_a_client_id_stores_nothing_and_publishes_nothing(direct, sent, django_capture_on_commit_callbacks):
    a, _b, conversation = direct
    with django_capture_on_commit_callbacks(execute=True):
        first, _ = message_create(sender=a, conversation_id=conversation.pk, text="once", client_id="same")
    published = len(sent)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again, created = message_create(sender=a, conversation_id=conversation.pk, text="once", client_id="same")
    assert not created and again.pk == first.pk
    assert callbacks == [] and len(sent) == published
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_bad_text_and_non_members_store_nothing(direct, make_user):
    a, _b, conversation = direct
    stranger = make_user()
    with pytest.raises(InvalidInput):
        message_create(sender=a, conversation_id=conversation.pk, text="  \n ", client_id=None)
    with override_settings(CHAT_MAX_MESSAGE_LENGTH=5), pytest.raises(InvalidInput) as exc:
        message_create(sender=a, conversation_id=conversation.pk, text="123456", client_id=None)
    assert exc.value.code == "too_long"
    with pytest.raises(Forbidden):
        message_create(sender=stranger, conversation_id=conversation.pk, text="let me in", client_id=None)
    with pytest.raises(NotFound):
        message_create(sender=a, conversation_id=999_999_999, text="hi", client_id=None)
    assert not Message.objects.exists()


def test_unread_counts_take_one_query_whatever_the_group_size(make_user, django_capture_on_commit_callbacks, sent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(size: int) -> int:
        creator = make_user()
        group = conversation_create_group(creator=creator, title="g", members=[make_user() for _ in range(size)])
        with CaptureQueriesContext(connection) as ctx:
            message_create(sender=creator, conversation_id=group.pk, text="hi", client_id=None)
        return len(ctx.captured_queries)

    assert queries_for(2) == queries_for(9)


def test_signal_lists_the_other_members_and_who_has_the_conversation_open(direct, make_user):
    a, b, _ = direct
    c = make_user()
    group = conversation_create_group(creator=a, title="three", members=[b, c])
    store = get_presence_store()
    async_to_sync(store.join)(conversation_scope(group.pk), str(b.pk), "conn-of-b")
    received = []

    def receiver(sender, message, conversation, recipients, viewing, **kwargs):
        received.append((message.pk, conversation.pk, sorted(recipients), sorted(viewing)))

    message_created.connect(receiver)
    try:
        viewing = conversation_viewers_blocking(group.pk)
        message, _ = message_create(sender=a, conversation_id=group.pk, text="hey", client_id=None, viewing=viewing)
    finally:
        message_created.disconnect(receiver)
        async_to_sync(store.leave)(conversation_scope(group.pk), str(b.pk), "conn-of-b")
    assert received == [(message.pk, group.pk, sorted([b.pk, c.pk]), [b.pk])]


def test_delivered_moves_forward_only_and_tells_the_sender(direct, sent, django_capture_on_commit_callbacks):
    a, b, conversation = direct
    m1, _ = message_create(sender=a, conversation_id=conversation.pk, text="1", client_id=None)
    m2, _ = message_create(sender=a, conversation_id=conversation.pk, text="2", client_id=None)
    sent.clear()
    for receipt in [
        Receipt("delivered", b.pk, conversation.pk, m2.pk),
        Receipt("delivered", b.pk, conversation.pk, m1.pk),  # never back
        Receipt("delivered", a.pk, conversation.pk, m2.pk),  # own message
    ]:
        with django_capture_on_commit_callbacks(execute=True):
            assert receipts_apply(receipts=[receipt]) == [None]
    assert [(g, e, f["data"]) for g, e, f in sent if e == "message_delivered"] == [
        (
            conversation_member_group(conversation.pk, a.pk),
            "message_delivered",
            {"message_id": m2.pk, "user": b.pk, "conversation": conversation.pk},
        )
    ]
    assert Membership.objects.get(conversation=conversation, user=b).last_delivered_message_id == m2.pk


def test_read_implies_delivered_never_moves_back_and_rejects_foreign_messages(
    direct, make_user, sent, django_capture_on_commit_callbacks
):
    a, b, conversation = direct
    other, _ = conversation_get_or_create_direct(user=a, other=make_user())
    m1, _ = message_create(sender=a, conversation_id=conversation.pk, text="1", client_id=None)
    m2, _ = message_create(sender=a, conversation_id=conversation.pk, text="2", client_id=None)
    foreign, _ = message_create(sender=a, conversation_id=other.pk, text="elsewhere", client_id=None)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = message_mark_read(user=b, conversation_id=conversation.pk, message_id=m1.pk)
    assert result["last_read_message_id"] == m1.pk and result["last_delivered_message_id"] == m1.pk
    assert result["unread_count"] == 1
    events = {(g, e): f["data"] for g, e, f in sent}
    assert events[(conversation_group(conversation.pk), "messages_read")] == {
        "user": b.pk,
        "conversation": conversation.pk,
        "up_to": m1.pk,
        "readers": [{"user": b.pk, "up_to": m1.pk}],
    }
    assert events[(user_group(b.pk), "chat_update")]["unread_count"] == 1

    message_mark_read(user=b, conversation_id=conversation.pk, message_id=m2.pk)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        back = message_mark_read(user=b, conversation_id=conversation.pk, message_id=m1.pk)
    assert back["last_read_message_id"] == m2.pk and back["unread_count"] == 0
    assert sent == []

    with pytest.raises(NotFound) as exc:  # the same answer as an unknown id: existence is not revealed
        message_mark_read(user=b, conversation_id=conversation.pk, message_id=foreign.pk)
    assert exc.value.code == "not_found"
    with pytest.raises(NotFound):
        message_mark_read(user=b, conversation_id=conversation.pk, message_id=m2.pk + 1000)
    with pytest.raises(Forbidden):
        message_mark_read(user=b, conversation_id=other.pk, message_id=foreign.pk)
    assert Membership.objects.get(conversation=conversation, user=b).last_read_message_id == m2.pk


def test_a_message_takes_at_most_five_queries_whatever_the_group_size(
    make_user, sent, django_capture_on_commit_callbacks
):
    """The socket path (everybody has the chat open): lock, members + unread counts + idempotency,
    insert, last message, sender's positions. Nothing per member, no notification query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements(ctx: CaptureQueriesContext) -> list[str]:
        # The test's own transaction turns the service's atomic() into a savepoint: not a round trip in production.
        return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]

    for size in (1, 9):
        creator = make_user()
        others = [make_user() for _ in range(size)]
        group = conversation_create_group(creator=creator, title="g", members=others)
        everybody = {creator.pk, *(u.pk for u in others)}
        with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
            _message, created = message_create(
                sender=creator, conversation_id=group.pk, text="hi", client_id="q-1", viewing=everybody
            )
        assert created
        assert len(statements(ctx)) <= 5, statements(ctx)
        updates = {
            group_name: frame["data"]["unread_count"] for group_name, event, frame in sent if event == "chat_update"
        }
        assert updates[user_group(creator.pk)] == 0
        assert all(updates[user_group(u.pk)] == 1 for u in others)
        sent.clear()


def test_unread_counts_in_chat_update_include_earlier_unread_messages(direct, sent, django_capture_on_commit_callbacks):
    a, b, conversation = direct

    def unread_after(sender, text: str) -> dict[str, int]:
        sent.clear()
        with django_capture_on_commit_callbacks(execute=True):
            message_create(sender=sender, conversation_id=conversation.pk, text=text, client_id=None, viewing=set())
        return {
            group_name: frame["data"]["unread_count"] for group_name, event, frame in sent if event == "chat_update"
        }

    unread_after(a, "1")
    unread_after(a, "2")
    assert unread_after(a, "3") == {user_group(a.pk): 0, user_group(b.pk): 3}
    # Sending moves the sender's read position: b has read 1-3 and a has one unread (b's).
    assert unread_after(b, "4") == {user_group(a.pk): 1, user_group(b.pk): 0}


def test_members_not_viewing_get_one_notification_each(direct, make_user, django_capture_on_commit_callbacks):
    from notifications.models import Notification

    a, b, _ = direct
    c = make_user()
    group = conversation_create_group(creator=a, title="three", members=[b, c])
    with django_capture_on_commit_callbacks(execute=True):
        message_create(sender=a, conversation_id=group.pk, text="anyone?", client_id=None, viewing={a.pk, b.pk})
    assert list(Notification.objects.filter(type="chat_message").values_list("recipient_id", flat=True)) == [c.pk]


# --- receipts_apply: the socket path, in batches -------------------------------------


def test_a_batch_of_receipts_ends_where_one_by_one_would_with_one_event_per_moved_position(
    make_user, sent, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    a, b, c = make_user(), make_user(), make_user()
    group = conversation_create_group(creator=a, title="batch", members=[b, c])
    m1, _ = message_create(sender=a, conversation_id=group.pk, text="1", client_id=None)
    m2, _ = message_create(sender=a, conversation_id=group.pk, text="2", client_id=None)
    sent.clear()
    batch = [
        Receipt("delivered", b.pk, group.pk, m1.pk),
        Receipt("delivered", b.pk, group.pk, m2.pk),  # b's delivered: m2, to its sender a
        Receipt("delivered", c.pk, group.pk, m1.pk),  # c's delivered m1, then read m2: messages_read says it
        Receipt("read", c.pk, group.pk, m2.pk),
        Receipt("read", c.pk, group.pk, m1.pk),  # never back
        Receipt("delivered", a.pk, group.pk, m1.pk),  # own message: nothing
    ]
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(8):
        assert receipts_apply(receipts=batch) == [None] * 6
    positions = {
        m.user_id: (m.last_delivered_message_id, m.last_read_message_id)
        for m in Membership.objects.filter(conversation=group)
    }
    assert positions[b.pk] == (m2.pk, 0) and positions[c.pk] == (m2.pk, m2.pk)
    assert [(g, e, f["data"]) for g, e, f in sent if e in ("message_delivered", "messages_read")] == [
        (
            conversation_member_group(group.pk, a.pk),
            "message_delivered",
            {"message_id": m2.pk, "user": b.pk, "conversation": group.pk},
        ),
        (
            conversation_group(group.pk),
            "messages_read",
            {"user": c.pk, "conversation": group.pk, "up_to": m2.pk, "readers": [{"user": c.pk, "up_to": m2.pk}]},
        ),
    ]
    update = next(f["data"] for g, e, f in sent if e == "chat_update")
    assert update["unread_count"] == 0 and update["last_message"]["id"] == m2.pk
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_apply(receipts=batch) == [None] * 6  # the same again: nothing moves, nothing is sent
    assert sent == []


def test_each_bad_receipt_gets_its_own_error_and_the_good_ones_in_the_batch_still_apply(
    direct, make_user, sent, django_capture_on_commit_callbacks
):
    a, b, conversation = direct
    stranger = make_user()
    other, _ = conversation_get_or_create_direct(user=a, other=stranger)
    mine, _ = message_create(sender=a, conversation_id=conversation.pk, text="hi", client_id=None)
    foreign, _ = message_create(sender=a, conversation_id=other.pk, text="elsewhere", client_id=None)
    with django_capture_on_commit_callbacks(execute=True):
        results = receipts_apply(
            receipts=[
                Receipt("read", b.pk, conversation.pk, foreign.pk),
                Receipt("delivered", b.pk, conversation.pk, 10**12),
                Receipt("read", stranger.pk, conversation.pk, mine.pk),
                Receipt("delivered", stranger.pk, conversation.pk, mine.pk),
                Receipt("read", b.pk, conversation.pk, mine.pk),
            ]
        )
    assert [(type(r).__name__, r.code) if r else None for r in results] == [
        ("NotFound", "not_found"),
        ("NotFound", "not_found"),
        ("Forbidden", "not_a_member"),
        ("NotFound", "not_found"),
        None,
    ]
    assert Membership.objects.get(conversation=conversation, user=b).last_read_message_id == mine.pk
    assert not Membership.objects.filter(conversation=other, user=b).exists()


def test_coalesced_read_receipts_send_one_messages_read_per_conversation_and_end_where_one_by_one_would(
    make_user, sent, django_capture_on_commit_callbacks
):
    """Every member acknowledges, in one window: ONE messages_read for the conversation with every
    reader's position, and the positions equal those of the same receipts applied one at a time."""
    people = [make_user() for _ in range(5)]
    groups = [conversation_create_group(creator=people[0], title=f"g{n}", members=people[1:]) for n in range(2)]
    ids = {
        g.pk: [message_create(sender=people[0], conversation_id=g.pk, text=str(n))[0].pk for n in range(3)]
        for g in groups
    }
    plan: list[tuple[Any, Literal["read", "delivered"], int]] = [
        (people[1], "read", 2),
        (people[2], "read", 0),
        (people[2], "read", 1),
        (people[3], "delivered", 2),
        (people[4], "read", 2),
        (people[1], "read", 0),  # never back
    ]
    batch = [Receipt(kind, user.pk, g.pk, ids[g.pk][n]) for g in groups for user, kind, n in plan]

    def positions() -> dict[tuple[int, int], tuple[int, int]]:
        return {
            (m.conversation_id, m.user_id): (m.last_delivered_message_id, m.last_read_message_id)
            for m in Membership.objects.filter(conversation__in=groups)
        }

    start = positions()
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert receipts_apply(receipts=batch) == [None] * len(batch)
    coalesced = positions()
    frames = [(g, f["data"]) for g, e, f in sent if e == "messages_read"]
    assert [g for g, _ in frames] == [conversation_group(g.pk) for g in groups]  # one per conversation
    for (_, data), g in zip(frames, groups, strict=True):
        assert data["readers"] == [
            {"user": people[1].pk, "up_to": ids[g.pk][2]},
            {"user": people[2].pk, "up_to": ids[g.pk][1]},
            {"user": people[4].pk, "up_to": ids[g.pk][2]},
        ]
        assert (data["user"], data["up_to"]) == (people[1].pk, ids[g.pk][2])
    Membership.objects.filter(conversation__in=groups).exclude(user=people[0]).update(
        last_read_message_id=0, last_delivered_message_id=0
    )
    assert positions() == start
    with django_capture_on_commit_callbacks(execute=True):
        for receipt in batch:
            assert receipts_apply(receipts=[receipt]) == [None]
    assert positions() == coalesced
