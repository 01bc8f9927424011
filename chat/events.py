"""Every event type chat sends to sockets, and its payload builder (docs/protocol.md lists them).

Server -> client:
    connection_established  {conversation {id, kind, title}, members [{id, username, online}],
                             positions [{user, last_delivered, last_read}]}
    chat_message            {id, conversation, sender {id, username}, text, created_at, client_id}  (+ envelope "id")
    chat_update             {conversation, last_message, unread_count}   (to the member's personal group)
    typing                  {conversation, user, is_typing}
    message_delivered       {message_id, user, conversation}
    messages_read           {user, conversation, up_to}
    user_online/user_offline come from the realtime core (presence_group of each other member).
Client -> server: chat_message {text, client_id}, typing {is_typing}, message_delivered {message_id}, mark_read {message_id}.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chat.models import Conversation, Membership, Message

CONNECTION_ESTABLISHED = "connection_established"
CHAT_MESSAGE = "chat_message"
CHAT_UPDATE = "chat_update"
TYPING = "typing"
MESSAGE_DELIVERED = "message_delivered"
MESSAGES_READ = "messages_read"


def user_brief(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def message_data(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": user_brief(message.sender),
        "text": message.text,
        "created_at": message.created_at,
        "client_id": message.client_id,
    }


def chat_update_data(*, conversation_id: int, last_message: dict[str, Any] | None, unread_count: int) -> dict[str, Any]:
    return {"conversation": conversation_id, "last_message": last_message, "unread_count": unread_count}


def typing_data(*, conversation_id: int, user_id: int, is_typing: bool) -> dict[str, Any]:
    return {"conversation": conversation_id, "user": user_id, "is_typing": is_typing}


def delivered_data(*, message_id: int, user_id: int, conversation_id: int) -> dict[str, Any]:
    return {"message_id": message_id, "user": user_id, "conversation": conversation_id}


def read_data(*, user_id: int, conversation_id: int, up_to: int) -> dict[str, Any]:
    return {"user": user_id, "conversation": conversation_id, "up_to": up_to}


def connection_established_data(
    *, conversation: Conversation, memberships: list[Membership], online: dict[int, bool]
) -> dict[str, Any]:
    return {
        "conversation": {"id": conversation.pk, "kind": conversation.kind, "title": conversation.title},
        "members": [{"id": m.user_id, "username": m.user.username, "online": online.get(m.user_id, False)} for m in memberships],
        "positions": [
            {"user": m.user_id, "last_delivered": m.last_delivered_message_id, "last_read": m.last_read_message_id} for m in memberships
        ],
    }
