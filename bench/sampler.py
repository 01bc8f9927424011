"""A tiny wall-clock sampling profiler for bench servers (py-spy is not installed here).

Enabled in `bench/asgi_baseline.py` when BENCH_PROFILE=<directory>: a daemon thread samples
every thread's stack every few milliseconds and rewrites `<directory>/<pid>.txt` every few
seconds with the hottest frames, "self" (innermost frame) and "total" (anywhere on the stack),
per thread kind (event loop vs. sync worker threads). Idle frames (waiting in select/epoll or
on a queue) are counted separately, so the rest approximates where CPU goes. Under uvloop the event
loop's own C code (epoll wait and C callbacks alike) shows as `runners.py:run`: counted as
`loop:in-uvloop`, not as busy Python frames.
"""

from __future__ import annotations

import collections
import os
import sys
import threading
import time
from pathlib import Path
from types import CodeType, FrameType

# Innermost frames that mean "waiting": the loop's poll, idle pool threads, network reads of the database driver.
IDLE = {("selectors.py", "select"), ("threading.py", "wait"), ("queue.py", "get"), ("thread.py", "_worker"),
        ("epollreactor.py", "doPoll"),
        ("connection.py", "wait"), ("waiting.py", "wait_epoll"), ("waiting.py", "wait_select"),
        ("waiting.py", "wait_c")}  # fmt: skip


def _kind(thread_id: int, main_id: int | None) -> str:
    return "loop" if thread_id == main_id else "worker"


def _state(top: CodeType, kind: str) -> str:
    """'idle' or 'in-uvloop' for an innermost frame that is no Python work, '' for one that is."""
    where = (os.path.basename(top.co_filename), top.co_name)
    if kind == "loop" and where == ("runners.py", "run"):
        # Inside uvloop's C loop: waiting in epoll or running C callbacks (socket writes, timers).
        # Python cannot tell which; neither is Python work.
        return "in-uvloop"
    if where in IDLE or top.co_name in {"select", "poll", "wait", "_worker"}:
        return "idle"
    return ""


def start(directory: str, interval: float = 0.005, dump_every: float = 5.0) -> None:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{os.getpid()}.txt"
    main_id = threading.main_thread().ident
    self_counts: collections.Counter[tuple[str, str]] = collections.Counter()
    total_counts: collections.Counter[tuple[str, str]] = collections.Counter()
    samples: collections.Counter[str] = collections.Counter()

    def label(frame) -> str:
        code = frame.f_code
        return f"{os.path.basename(code.co_filename)}:{code.co_name}"

    def run() -> None:
        me = threading.get_ident()
        last_dump = time.monotonic()
        while True:
            time.sleep(interval)
            for thread_id, frame in sys._current_frames().items():
                if thread_id == me:
                    continue
                kind = _kind(thread_id, main_id)
                state = _state(frame.f_code, kind)
                if state:
                    samples[f"{kind}:{state}"] += 1
                    continue
                samples[f"{kind}:busy"] += 1
                self_counts[(kind, label(frame))] += 1
                seen = set()
                f: FrameType | None = frame
                while f is not None:
                    name = label(f)
                    if name not in seen:
                        seen.add(name)
                        total_counts[(kind, name)] += 1
                    f = f.f_back
            if time.monotonic() - last_dump > dump_every:
                last_dump = time.monotonic()
                lines = [f"samples: {dict(samples)}", "", "SELF (innermost frame):"]
                lines += [f"{n:7d} {k:6s} {name}" for (k, name), n in self_counts.most_common(60)]
                lines += ["", "TOTAL (on the stack):"]
                lines += [f"{n:7d} {k:6s} {name}" for (k, name), n in total_counts.most_common(120)]
                path.write_text("\n".join(lines))

    threading.Thread(target=run, name="bench-sampler", daemon=True).start()
