"""Every /ws/notifications/ server event, as a client receives it, has exactly the fields docs/protocol.md lists.

test_consumers.py proves the behaviour (batching, resume, tabs); this file pins the shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from notifications import services
from notifications.models import Notification
from notifications.tests.sockets import connect, make_comment, make_likes
from realtime.testing import recv, recv_all
from social.models import Post
from social.services import post_delete

pytestmark = [pytest.mark.django_db(transaction=True)]

NOTIFICATION_KEYS = {"id", "type", "actor", "target", "text", "created_at", "priority", "group_key", "read"}


@override_settings(NOTIFICATIONS_BATCH_WINDOW_SECONDS=0.5)
async def test_notification_events_have_their_documented_shapes(make_user: Any, token_for: Any) -> None:
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    fans = [await sync_to_async(make_user)() for _ in range(2)]
    post = await Post.objects.acreate(author=alice, text="post")
    comm = await connect(await sync_to_async(token_for)(alice))
    hello, count = await recv(comm), await recv(comm)
    assert (hello["type"], hello["data"]) == (
        "connection_established",
        {"user": {"id": alice.pk, "username": alice.username}},
    )
    assert (count["type"], count["data"]) == ("unread_count", {"count": 0})

    await sync_to_async(make_comment)(post, bob)  # high priority: at once
    new = await recv(comm)
    assert (
        new["type"] == "new_notification"
        and set(new) == {"type", "data", "timestamp", "id"}
        and new["id"] == new["data"]["id"]
    )
    assert set(new["data"]) == NOTIFICATION_KEYS
    assert new["data"]["actor"] == {"id": bob.pk, "username": bob.username, "name": bob.name}
    assert (new["data"]["type"], new["data"]["priority"], new["data"]["read"]) == ("comment", "high", False)
    assert {"type", "id", "post_id", "excerpt", "url"} <= set(new["data"]["target"]) and new["data"]["target"][
        "type"
    ] == "comment"
    assert (await recv(comm))["data"] == {"count": 1}

    await sync_to_async(make_likes)(post, fans)  # low priority: held, then one batch
    frames = await recv_all(comm, quiet=1.5)
    assert [f["type"] for f in frames] == ["notification_batch", "unread_count"]
    batch = frames[0]["data"]
    assert set(batch) == {"notifications", "count"} and batch["count"] == 2
    assert all(set(n) == NOTIFICATION_KEYS for n in batch["notifications"])

    await sync_to_async(services.notification_mark_read)(user=alice, notification_id=new["data"]["id"])
    read = await recv(comm)
    assert (read["type"], read["data"], read["id"]) == (
        "notification_read",
        {"id": new["data"]["id"]},
        new["data"]["id"],
    )
    assert (await recv(comm))["data"] == {"count": 2}

    await sync_to_async(services.notification_mark_all_read)(user=alice)
    newest = await Notification.objects.filter(recipient=alice).order_by("-pk").values_list("pk", flat=True).afirst()
    all_read = await recv(comm)
    assert (all_read["type"], all_read["data"]) == ("mark_all_read", {"up_to_id": newest, "count": 2})
    assert (await recv(comm))["data"] == {"count": 0}

    ids = sorted([pk async for pk in Notification.objects.filter(recipient=alice).values_list("pk", flat=True)])
    await sync_to_async(post_delete)(post=post, user=alice)
    removed = await recv(comm)
    assert (removed["type"], removed["data"]) == ("notifications_removed", {"ids": ids})
    assert (await recv(comm))["data"] == {"count": 0}
    await comm.disconnect()
