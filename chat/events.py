"""Every event type chat sends to sockets, declared once (realtime/events.py; docs/protocol.md lists them).

`MessageData` is the one definition of a message's shape: the `chat_message` event, the
`last_message` of `chat_update` and the REST `MessageOutput` all use it.
user_online/user_offline come from the realtime core (presence_group of each other member).
Client -> server: chat_message {text, client_id}, typing {is_typing}, message_delivered {message_id},
mark_read {message_id}.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from realtime.events import Event, Payload, UserBrief, event, payload

if TYPE_CHECKING:
    from chat.models import Conversation, Membership, Message


@payload
class MessageData(Payload):
    """A stored message, as sockets and REST show it."""

    id: int
    conversation: int
    sender: UserBrief
    text: str
    created_at: datetime
    client_id: str | None

    @classmethod
    def fields_of(cls, message: Message) -> dict[str, Any]:
        return {
            "id": message.pk,
            "conversation": message.conversation_id,
            "sender": UserBrief.of(message.sender),
            "text": message.text,
            "created_at": message.created_at,
            "client_id": message.client_id,
        }

    @classmethod
    def of(cls, message: Message) -> MessageData:
        return cls(**cls.fields_of(message))


@payload
class ConversationBrief(Payload):
    id: int
    kind: str
    title: str


@payload
class MemberState(Payload):
    id: int
    username: str
    online: bool


@payload
class Position(Payload):
    user: int
    last_delivered: int
    last_read: int


@event("connection_established")
class ConnectionEstablished(Event):
    conversation: ConversationBrief
    members: list[MemberState]
    positions: list[Position]

    @classmethod
    def of(
        cls, *, conversation: Conversation, memberships: list[Membership], online: dict[int, bool]
    ) -> ConnectionEstablished:
        return cls(
            conversation=ConversationBrief(id=conversation.pk, kind=conversation.kind, title=conversation.title),
            members=[
                MemberState(id=m.user_id, username=m.user.username, online=online.get(m.user_id, False))
                for m in memberships
            ],
            positions=[
                Position(user=m.user_id, last_delivered=m.last_delivered_message_id, last_read=m.last_read_message_id)
                for m in memberships
            ],
        )


@event("chat_message")
class ChatMessage(MessageData, Event):
    """A new message (envelope `id` = message id), to the conversation."""

    @classmethod
    def of(cls, message: Message) -> ChatMessage:
        return cls(**MessageData.fields_of(message))


@event("chat_update")
class ChatUpdate(Event):
    """To a member's personal group: the conversation's last message and their unread count."""

    conversation: int
    last_message: MessageData | None
    unread_count: int


@event("typing")
class Typing(Event):
    conversation: int
    user: int
    is_typing: bool


@event("message_delivered")
class MessageDelivered(Event):
    message_id: int
    user: int
    conversation: int


@payload
class ReadPosition(Payload):
    user: int
    up_to: int


@event("messages_read")
class MessagesRead(Event):
    """Read positions that moved in one receipt batch of a conversation: ONE frame for all readers.

    `readers` has every reader's new position; `user` / `up_to` repeat the first one (clients
    written before `readers` existed read those)."""

    user: int
    conversation: int
    up_to: int
    readers: list[ReadPosition]
