"""Every channel-layer group name, one function each.

Nothing else in the project builds a group name. Names use only characters the
channel layer accepts (ASCII letters, digits, hyphens, underscores, periods).
"""

from __future__ import annotations


def user_group(user_id: int) -> str:
    """The user's personal group: every socket of that user (notifications, chat_update, kicks)."""
    return f"user.{user_id}"


def presence_group(user_id: int) -> str:
    """Sockets interested in whether this user is online (chat members, followers' pages)."""
    return f"presence.{user_id}"


def conversation_group(conversation_id: int) -> str:
    return f"chat.{conversation_id}"


def conversation_member_group(conversation_id: int, user_id: int) -> str:
    """One member's chat sockets in one conversation: events only they need (the ✓ of their messages)."""
    return f"chat.{conversation_id}.user.{user_id}"


def stream_group(stream_id: int) -> str:
    return f"live.{stream_id}"


def streamer_group(streamer_id: int) -> str:
    """Every socket of every stream of one streamer: a ban applies to all of them at once."""
    return f"live.streamer.{streamer_id}"


def room_group(room_id: str) -> str:
    # room ids are validated to [A-Za-z0-9_-]{1,64} before they get here
    return f"rtc.{room_id}"


def room_lobby_group(room_id: str) -> str:
    """Sockets waiting in a room's lobby (not yet in `room_group`): admitted / denied / room closed."""
    return f"rtc-lobby.{room_id}"


def connection_group(connection_id: str) -> str:
    """A group with one socket in it: lets any process address one connection (a P2P peer)."""
    return f"conn.{connection_id}"
