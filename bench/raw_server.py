"""The raw baseline of bench/chat_fanout: an asyncio `websockets` broadcast server (uvloop), no framework.

    python -m bench.raw_server --port 9001

A socket on `/ws/raw/<room>/` joins that room; every text frame it sends is broadcast, as is, to
every socket of the room on this process (itself included, as the chat path echoes). No auth, no
parsing, no channel layer: what the machine and the `websockets` library carry. With several
processes, the bench pins every member of a room to one process (room r -> process r mod N), so
no cross-process hop exists here at all: this is an upper bound, not a like-for-like design.
permessage-deflate is negotiated when offered (the `websockets` default, as uvicorn's).
"""

from __future__ import annotations

import argparse

from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOMS: dict[str, set[ServerConnection]] = {}


async def handler(ws: ServerConnection) -> None:
    room = ws.request.path if ws.request else "/"
    members = ROOMS.setdefault(room, set())
    members.add(ws)
    try:
        async for message in ws:
            broadcast(members, message)
    finally:
        members.discard(ws)
        if not members:
            ROOMS.pop(room, None)


async def run(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, ping_interval=None, max_queue=None) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    import uvloop

    uvloop.run(run(args.port))


if __name__ == "__main__":
    main()
