"""Domain signals -> notifications. Each receiver is one line: the logic lives in services."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from accounts.signals import user_followed
from chat.signals import message_created
from items.signals import item_processed
from livestream.signals import stream_started
from notifications import services
from social.signals import comment_deleted, comment_replied, post_commented, post_deleted, post_liked, user_mentioned


@receiver(user_followed, dispatch_uid="notifications.user_followed")
def on_user_followed(sender: Any, *, follow: Any, follower: Any, followee: Any, **_: Any) -> None:
    services.notification_create_for_follow(follow=follow, follower=follower, followee=followee)


@receiver(post_liked, dispatch_uid="notifications.post_liked")
def on_post_liked(sender: Any, *, like: Any, post: Any, user: Any, **_: Any) -> None:
    services.notification_create_for_like(like=like, post=post, user=user)


@receiver(post_commented, dispatch_uid="notifications.post_commented")
def on_post_commented(sender: Any, *, comment: Any, post: Any, **_: Any) -> None:
    services.notification_create_for_comment(comment=comment, post=post)


@receiver(comment_replied, dispatch_uid="notifications.comment_replied")
def on_comment_replied(sender: Any, *, comment: Any, parent: Any, post: Any, **_: Any) -> None:
    services.notification_create_for_reply(comment=comment, parent=parent, post=post)


@receiver(user_mentioned, dispatch_uid="notifications.user_mentioned")
def on_user_mentioned(
    sender: Any, *, mention: Any, mentioned: Any, author: Any, post: Any, comment: Any = None, **_: Any
) -> None:
    services.notification_create_for_mention(
        mention=mention, mentioned=mentioned, author=author, post=post, comment=comment
    )


@receiver(post_deleted, dispatch_uid="notifications.post_deleted")
def on_post_deleted(sender: Any, *, post: Any, **_: Any) -> None:
    services.notification_delete_for_post(post=post)


@receiver(comment_deleted, dispatch_uid="notifications.comment_deleted")
def on_comment_deleted(sender: Any, *, comment: Any, post: Any, **_: Any) -> None:
    services.notification_delete_for_comment(comment=comment, post=post)


@receiver(message_created, dispatch_uid="notifications.message_created")
def on_message_created(
    sender: Any, *, message: Any, conversation: Any, recipients: Any, viewing: Any, **_: Any
) -> None:
    services.notification_create_for_chat_message(
        message=message, conversation=conversation, recipients=recipients, viewing=viewing
    )


@receiver(stream_started, dispatch_uid="notifications.stream_started")
def on_stream_started(sender: Any, *, stream: Any, **_: Any) -> None:
    services.notification_create_for_stream_start(stream=stream)


@receiver(item_processed, dispatch_uid="notifications.item_processed")
def on_item_processed(sender: Any, *, item: Any, **_: Any) -> None:
    services.notification_create_for_item_processed(item=item)
