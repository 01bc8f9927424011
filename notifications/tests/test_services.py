"""Notification services, called directly and through the domain signals they receive."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from django.db import transaction

from accounts.models import Follow
from accounts.services import follow_create, follow_delete
from notifications import receivers, services
from notifications.models import Notification
from realtime.errors import NotFound
from social.models import Post
from social.services import comment_create, comment_delete, like_create, like_delete, post_create, post_delete

pytestmark = [pytest.mark.django_db]


def types(frames):
    return [f["type"] for f in frames]


def follow(follower, followee):
    follow = Follow.objects.create(follower=follower, followee=followee)
    services.notification_create_for_follow(follow=follow, follower=follower, followee=followee)
    return follow


def test_follow_creates_row_and_publishes_only_after_commit(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice_f"), make_user("bob_f")
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        follow(bob, alice)
    assert listener.frames(alice) == []  # not committed yet: nothing on the wire
    n = Notification.objects.get(recipient=alice)
    assert (n.type, n.actor, n.priority, n.read_at) == ("follow", bob, "medium", None)
    assert n.text == "bob_f started following you"
    with django_capture_on_commit_callbacks(execute=True):  # "commit": the count is read after it
        for callback in callbacks:
            callback()
    frames = listener.frames(alice)
    assert types(frames) == ["new_notification", "unread_count"]
    new = frames[0]
    assert new["id"] == n.pk
    assert new["_meta"]["priority"] == "medium"
    assert set(new["data"]) == {"id", "type", "actor", "target", "text", "created_at", "priority", "group_key", "read"}
    assert new["data"]["actor"] == {"id": bob.pk, "username": "bob_f", "name": "bob_f"}
    assert new["data"]["target"]["type"] == "user" and new["data"]["target"]["username"] == "bob_f"
    assert frames[1]["data"] == {"count": 1}


def test_rolled_back_action_publishes_nothing(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob = make_user(), make_user()
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                follow(bob, alice)
                raise RuntimeError("the follow fails after the receiver ran")
        except RuntimeError:
            pass
    assert not Notification.objects.filter(recipient=alice).exists()
    assert listener.frames(alice) == []


def test_follow_back_when_followee_already_follows(make_user, django_capture_on_commit_callbacks):
    alice, bob = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow(alice, bob)
        follow(bob, alice)
    assert Notification.objects.get(recipient=bob).type == "follow"
    back = Notification.objects.get(recipient=alice)
    assert back.type == "follow_back" and back.text.endswith("followed you back")


def test_follow_unfollow_follow_notifies_once(make_user, django_capture_on_commit_callbacks):
    alice, bob = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=bob, followee=alice)
        follow_delete(follower=bob, followee=alice)
        follow_create(follower=bob, followee=alice)
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_like_unlike_like_notifies_once_and_never_yourself(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob = make_user(), make_user()
    post = Post.objects.create(author=alice, text="hello world")
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=bob, post=post)
        like_delete(user=bob, post=post)
        like_create(user=bob, post=post)
        like_create(user=alice, post=post)
    rows = list(Notification.objects.filter(recipient=alice))
    assert [(r.type, r.actor_id, r.priority) for r in rows] == [("like", bob.pk, "medium")]  # seed 003's priority
    assert rows[0].group_key == f"like:post:{post.pk}"
    assert rows[0].target == post
    assert types(listener.frames(alice)) == ["new_notification", "unread_count"]


def test_comment_with_mention_notifies_author_and_mentioned(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob, carol = make_user("alice_c"), make_user("bob_c"), make_user("carol_c")
    post = Post.objects.create(author=alice, text="my post")
    listener.listen(alice, bob)
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(author=carol, post=post, text="@bob_c look at this")
    a = Notification.objects.get(recipient=alice)
    b = Notification.objects.get(recipient=bob)
    assert (a.type, a.actor, a.priority, a.target) == ("comment", carol, "high", comment)
    assert (b.type, b.actor, b.target) == ("mention_comment", carol, comment)
    assert a.target_summary["post_id"] == post.pk and "look at this" in a.target_summary["excerpt"]
    assert [f["data"]["type"] for f in listener.frames(bob) if f["type"] == "new_notification"] == ["mention_comment"]
    assert listener.frames(alice)[0]["_meta"]["priority"] == "high"


def test_reply_notifies_parent_author_and_mention_in_post(make_user, django_capture_on_commit_callbacks):
    alice, bob, carol = make_user("alice_r"), make_user("bob_r"), make_user("carol_r")
    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=alice, text="hi @carol_r")
        parent = comment_create(author=bob, post=post, text="first")
        comment_create(author=carol, post=post, parent=parent, text="answer")
    assert Notification.objects.get(recipient=carol).type == "mention_post"
    assert Notification.objects.get(recipient=bob).type == "reply"
    assert sorted(Notification.objects.filter(recipient=alice).values_list("type", flat=True)) == ["comment"]


def test_comment_mentioning_the_post_author_notifies_once(make_user, django_capture_on_commit_callbacks):
    alice, carol = make_user("alice_d"), make_user("carol_d")
    post = Post.objects.create(author=alice, text="x")
    with django_capture_on_commit_callbacks(execute=True):
        comment_create(author=carol, post=post, text="@alice_d hi")
    assert list(Notification.objects.filter(recipient=alice).values_list("type", flat=True)) == ["comment"]


def test_deleting_a_post_deletes_its_notifications(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob = make_user("alice_x"), make_user("bob_x")
    post = Post.objects.create(author=alice, text="bye")
    other = Post.objects.create(author=alice, text="stays")
    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=bob, post=post)
        comment_create(author=bob, post=post, text="nice")
        like_create(user=bob, post=other)
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=True):
        post_delete(post=post, user=alice)
    assert list(Notification.objects.filter(recipient=alice).values_list("object_id", flat=True)) == [str(other.pk)]
    frames = listener.frames(alice)
    assert types(frames) == ["notifications_removed", "unread_count"]
    assert len(frames[0]["data"]["ids"]) == 2 and frames[1]["data"] == {"count": 1}


def test_deleting_a_comment_deletes_its_notifications_and_its_replies(
    make_user, listener, django_capture_on_commit_callbacks
):
    alice, bob, carol, dave = make_user("alice_cd"), make_user("bob_cd"), make_user("carol_cd"), make_user("dave_cd")
    post = Post.objects.create(author=alice, text="post")
    with django_capture_on_commit_callbacks(execute=True):
        comment = comment_create(
            author=bob, post=post, text="@dave_cd see this"
        )  # alice: comment, dave: mention_comment
        reply = comment_create(author=carol, post=post, parent=comment, text="agreed")  # bob: reply
        comment_create(
            author=alice, post=post, parent=reply, text="me too @dave_cd"
        )  # carol: reply, dave: mention (deep)
        kept = comment_create(author=carol, post=post, text="unrelated")  # alice: comment on another comment
        like_create(user=bob, post=post)  # alice: like, about the post
    assert Notification.objects.count() == 7
    listener.listen(alice, bob, carol, dave)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment_delete(comment=comment, user=bob)
        # Deleted inside the transaction; the recipients hear about it only after the commit.
        assert Notification.objects.count() == 2

    assert callbacks
    remaining = Notification.objects.order_by("id")
    assert [(n.recipient, n.type) for n in remaining] == [(alice, "comment"), (alice, "like")]
    assert remaining[0].object_id == str(kept.pk)
    for user, removed, unread in ((alice, 1, 2), (bob, 1, 0), (carol, 1, 0), (dave, 2, 0)):
        frames = listener.frames(user)
        assert types(frames) == ["notifications_removed", "unread_count"], user
        assert len(frames[0]["data"]["ids"]) == removed and frames[1]["data"] == {"count": unread}, user


def test_deleting_a_comment_without_notifications_publishes_nothing(
    make_user, listener, django_capture_on_commit_callbacks
):
    alice = make_user("alice_cn")
    post = Post.objects.create(author=alice, text="post")
    with django_capture_on_commit_callbacks(execute=True):
        own = comment_create(author=alice, post=post, text="my own comment")  # nobody is notified of their own
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=True):
        comment_delete(comment=own, user=alice)
    assert listener.frames(alice) == []


def test_mark_read_someone_elses_notification_is_not_found_and_changes_nothing(
    make_user, listener, django_capture_on_commit_callbacks
):
    alice, bob, carol = make_user(), make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow(carol, bob)
    n = Notification.objects.get(recipient=bob)
    listener.listen(alice, bob)
    with pytest.raises(NotFound):
        services.notification_mark_read(user=alice, notification_id=n.pk)
    with pytest.raises(NotFound):
        services.notification_mark_read(user=alice, notification_id=2**70)
    n.refresh_from_db()
    assert n.read_at is None
    assert listener.frames(bob) == [] and listener.frames(alice) == []


def test_mark_read_publishes_to_every_socket_of_the_user(make_user, listener, django_capture_on_commit_callbacks):
    alice, bob, carol = make_user(), make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow(bob, alice)
        follow(carol, alice)
    first = Notification.objects.filter(recipient=alice).order_by("id").first()
    listener.listen(alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_mark_read(user=alice, notification_id=first.pk)
        services.notification_mark_read(user=alice, notification_id=first.pk)  # again: no change, no event
    frames = listener.frames(alice)
    assert [(f["type"], f["data"]) for f in frames] == [
        ("notification_read", {"id": first.pk}),
        ("unread_count", {"count": 1}),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notification_mark_all_read(user=alice) == 1
        assert services.notification_mark_all_read(user=alice) == 0
    frames = listener.frames(alice)
    assert types(frames) == ["mark_all_read", "unread_count"]
    assert frames[0]["data"]["count"] == 1 and frames[1]["data"] == {"count": 0}
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()


def test_stream_start_notifies_every_follower(make_user, listener, django_capture_on_commit_callbacks):
    from livestream.models import Stream

    streamer, f1, f2, stranger = make_user("streamer_s"), make_user(), make_user(), make_user()
    Follow.objects.create(follower=f1, followee=streamer)
    Follow.objects.create(follower=f2, followee=streamer)
    stream = Stream.objects.create(streamer=streamer, title="Cooking")
    listener.listen(f1, f2)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_create_for_stream_start(stream=stream)
    rows = Notification.objects.filter(type="stream_started")
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted([f1.pk, f2.pk])
    assert not rows.filter(recipient=stranger).exists()
    assert rows.first().text == "streamer_s is live: Cooking"
    assert types(listener.frames(f1)) == ["new_notification", "unread_count"]
    assert types(listener.frames(f2)) == ["new_notification", "unread_count"]


def test_chat_message_notifies_only_recipients_not_viewing(make_user, django_capture_on_commit_callbacks):
    from chat.models import Conversation, Message

    sender, away, looking = make_user(), make_user(), make_user()
    conversation = Conversation.objects.create(kind="group", title="g")
    message = Message.objects.create(conversation=conversation, sender=sender, text="ping " * 40)
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_create_for_chat_message(
            message=message,
            conversation=conversation,
            recipients=[away.pk, sender.pk, looking.pk],
            viewing={looking.pk},
        )
    n = Notification.objects.get()
    assert (n.recipient, n.type, n.priority) == (away, "chat_message", "high")
    assert n.group_key == f"chat_message:conversation:{conversation.pk}"
    assert n.target_summary["conversation_id"] == conversation.pk and n.target_summary["excerpt"].endswith("…")


def test_item_processed_notifies_owner(make_user, django_capture_on_commit_callbacks):
    from items.models import Item

    owner = make_user()
    item = Item.objects.create(owner=owner, title="report", status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        services.notification_create_for_item_processed(item=item)
    n = Notification.objects.get(recipient=owner)
    assert (n.type, n.actor, n.text) == ("item_processed", None, "Processing of “report” failed")


def test_a_broken_target_does_not_break_the_senders_transaction(make_user, django_capture_on_commit_callbacks):
    alice = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notification_create_for_like(like=None, post=object(), user=alice) is None
        Post.objects.create(author=alice, text="the caller's write still works")
    assert Post.objects.filter(author=alice).exists()


def test_receivers_are_one_line_each():
    functions = [obj for name, obj in vars(receivers).items() if name.startswith("on_") and inspect.isfunction(obj)]
    assert len(functions) == 10
    for function in functions:
        # One statement: a call of a notifications service (however the formatter wraps its arguments).
        (definition,) = ast.parse(textwrap.dedent(inspect.getsource(function))).body
        assert isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef)
        body = definition.body[1:] if ast.get_docstring(definition) else definition.body
        assert len(body) == 1, function.__name__
        (statement,) = body
        assert isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call), function.__name__
        callee = ast.unparse(statement.value.func)
        assert callee.startswith("services.notification_"), (function.__name__, callee)


def test_follow_by_a_lazy_request_user_still_notifies(make_user, django_capture_on_commit_callbacks):
    """Session-authenticated views pass request.user, a SimpleLazyObject, to services."""
    from django.utils.functional import SimpleLazyObject

    alice, bob = make_user(), make_user()
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=SimpleLazyObject(lambda: bob), followee=alice)  # type: ignore[arg-type]  # what such a view passes
    assert Notification.objects.get(recipient=alice).type == "follow"
