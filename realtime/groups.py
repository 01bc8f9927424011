"""Every channel-layer group name, one function each.

Nothing else in the project builds a group name. Names use only characters the
channel layer accepts (ASCII letters, digits, hyphens, underscores, periods).
"""

from __future__ import annotations

import hashlib


def user_group(user_id: int) -> str:
    """The user's personal group: every socket of that user (notifications, chat_update, kicks)."""
    return f"user.{user_id}"


def directory_group() -> str:
    """Every personal socket: changes to the public lists (`/live/`, public rooms' head counts)."""
    return "directory"


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


def user_control_group(user_id: int) -> str:
    """Every socket of a user, whatever it is for: closed together when credentials are revoked."""
    return f"ctl.user.{user_id}"


def session_control_group(session_key: str) -> str:
    """The sockets opened with one login session's cookie: closed on logout.

    The session key is a credential: the name carries a hash of it, never the key.
    """
    return f"ctl.session.{hashlib.sha256(session_key.encode()).hexdigest()[:40]}"


# --- presence scopes -----------------------------------------------------------------------
# A presence scope counts who is somewhere (realtime.presence); nothing else builds a scope name.
# The prefix before ":" selects the expiry handler (realtime.heartbeat.on_presence_expired).

USER_SCOPE = "user"  # member = user id: online while any socket of the user is open
ROOM_SCOPE_PREFIX = "room"
LOBBY_SCOPE_PREFIX = "lobby"
VIEWER_SCOPE_PREFIX = "stream"
STREAMER_SCOPE_PREFIX = "streamer"


def conversation_scope(conversation_id: int) -> str:
    """The sockets open on a conversation (member = str(user id)): who is viewing it."""
    return f"conversation:{conversation_id}"


def viewer_scope(stream_id: int) -> str:
    """A stream's viewers (member = str(user id)): the viewer count."""
    return f"{VIEWER_SCOPE_PREFIX}:{stream_id}"


def streamer_scope(stream_id: int) -> str:
    """The streamer's sockets on a stream (member = str(user id)): absent streamer -> grace period."""
    return f"{STREAMER_SCOPE_PREFIX}:{stream_id}"


def stream_peer_scope(stream_id: int) -> str:
    """A stream's viewer sockets (member = connection id): the valid signaling targets."""
    return f"stream_peer:{stream_id}"


def stream_host_scope(stream_id: int) -> str:
    """A stream's streamer sockets (member = connection id): where viewers' answers go."""
    return f"stream_host:{stream_id}"


def room_scope(room_id: str) -> str:
    """A P2P room's peers (member = connection id); the id must already be validated."""
    return f"{ROOM_SCOPE_PREFIX}:{room_id}"


def lobby_scope(room_id: str) -> str:
    """A room's lobby (member = waiting user id, info = {user, since})."""
    return f"{LOBBY_SCOPE_PREFIX}:{room_id}"
