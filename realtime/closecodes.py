"""WebSocket close codes used by every consumer (documented in docs/protocol.md)."""

NORMAL = 1000
MESSAGE_TOO_BIG = 1009  # beyond the server's hard frame cap (daphne --websocket_max_message_size)
INTERNAL_ERROR = 1011
UNAUTHENTICATED = 4401  # no credentials, bad or expired token
FORBIDDEN = 4403  # removed from a conversation while connected, banned, kicked
NOT_FOUND = 4404  # unknown conversation (or not a member of it: existence is hidden), stream, room
IDLE_TIMEOUT = 4408  # no frame from the client within WS_IDLE_TIMEOUT_SECONDS
GONE = 4410  # the stream ended
FULL = 4413  # room or stream at its capacity
TOO_MANY = 4429  # rate limit exceeded repeatedly, or too many sockets for this user
