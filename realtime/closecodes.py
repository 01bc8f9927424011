"""WebSocket close codes used by every consumer (documented in docs/protocol.md)."""

NORMAL = 1000
MESSAGE_TOO_BIG = 1009  # beyond the server's hard message cap (uvicorn --ws-max-size, scripts/cluster.py)
INTERNAL_ERROR = 1011
SERVICE_RESTART = 1012  # sent by uvicorn on SIGTERM (deploy, scale-in): reconnect, another process answers
UNAUTHENTICATED = 4401  # no credentials, bad or expired token
FORBIDDEN = 4403  # removed from a conversation while connected, banned, kicked
NOT_FOUND = 4404  # unknown conversation (or not a member of it: existence is hidden), stream, room
IDLE_TIMEOUT = 4408  # no frame from the client within WS_IDLE_TIMEOUT_SECONDS
GONE = 4410  # the stream ended
FULL = 4413  # room or stream at its capacity
TOO_MANY = 4429  # rate limit exceeded repeatedly, or too many sockets for this user
# The server lost this socket's subscriptions (Redis down or back empty, channel-layer overflow): reconnect, ?after=
RESYNC = 4503
# The client did not take a frame within WS_SEND_TIMEOUT_SECONDS (a stalled tab): reconnect, resume with ?after=
SLOW_CONSUMER = 4504
