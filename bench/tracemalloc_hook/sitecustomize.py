"""Soak diagnosis (bench/soak.py --tracemalloc), not loaded otherwise: put this directory on PYTHONPATH.

Every Python process started with SOAK_SNAPSHOT_DIR set starts tracing allocations (12 frames)
SOAK_TRACE_FROM seconds after start (default 60: tracing the imports made startup miss the cluster's
ready timeout; SOAK_TRACE=0: no tracing) and at each of SOAK_SNAPSHOT_AT seconds after start
(comma-separated) writes <dir>/<pid>-<seconds>.snap (a tracemalloc snapshot) and <pid>-<seconds>.txt
(a census: live WebSocket protocol objects, open or closed, and where the asyncio tasks wait), from
a daemon thread: no signal handler, nothing in the app's code. Only growth between two snapshots
means anything.
"""

from __future__ import annotations

import os

if os.environ.get("SOAK_SNAPSHOT_DIR"):
    import collections
    import gc
    import threading
    import time
    import tracemalloc

    def _census(path: str) -> None:
        protocols: collections.Counter[str] = collections.Counter()
        waits: collections.Counter[str] = collections.Counter()
        for obj in gc.get_objects():
            kind = type(obj)
            if kind.__name__ == "WebSocketsSansIOProtocol":
                transport = getattr(obj, "transport", None)
                closing = transport is None or transport.is_closing()
                protocols[f"closed={closing} handshake={obj.handshake_complete}"] += 1
            elif kind.__name__ == "Task" and kind.__module__ in ("_asyncio", "asyncio.tasks"):
                try:
                    stack = obj.get_stack()
                except Exception:  # racing the loop thread: skip this one
                    continue
                where = " <- ".join(f"{f.f_code.co_filename.rsplit('/', 2)[-1]}:{f.f_lineno}" for f in stack[-3:])
                waits[where or repr(obj)[:120]] += 1
        with open(path, "w") as out:
            out.write(f"protocols {dict(protocols)}\n")
            for where, count in waits.most_common(40):
                out.write(f"{count:6d} {where}\n")

    def _dump(directory: str, trace: bool, trace_from: float, times: list[float]) -> None:
        started = time.monotonic()
        time.sleep(trace_from)
        if trace:
            tracemalloc.start(12)
        for at in times:
            time.sleep(max(0.0, started + at - time.monotonic()))
            base = os.path.join(directory, f"{os.getpid()}-{int(at)}")
            _census(base + ".txt")
            if trace:
                tracemalloc.take_snapshot().dump(base + ".snap")

    _times = [float(t) for t in os.environ.get("SOAK_SNAPSHOT_AT", "120,300").split(",") if t]
    _args = (os.environ["SOAK_SNAPSHOT_DIR"], os.environ.get("SOAK_TRACE", "1") != "0")
    _from = float(os.environ.get("SOAK_TRACE_FROM", "60"))
    threading.Thread(target=_dump, args=(*_args, _from, _times), daemon=True).start()
