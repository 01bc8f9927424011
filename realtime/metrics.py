"""Prometheus metrics of the real-time side, in one place, behind one-line hooks.

HTTP, database and cache metrics come from django-prometheus (middleware, database
engines, cache backend). What Channels and the apps do is counted here, with
prometheus-client; call sites stay one line (`metrics.ws_opened(self)`).

Several processes: with PROMETHEUS_MULTIPROC_DIR set (scripts/cluster.py sets a fresh one per
cluster; a deployment sets one empty directory per host), every process of a host writes its values to files
there and `/metrics`
(realtime.views.metrics) aggregates all of them, worker included: scrape any one
process per host. Without it each process reports itself (one process: `make run`).

Gauges about the whole cluster (presence entries, viewers per stream, rooms, the task
queue) are not kept per process: `ClusterCollector` reads them from Redis and the
database at scrape time, so every process reports the same cluster-wide value.
Labels are bounded: event types outside the known set are counted as "unknown".
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# WebRTC signaling frames (live streams and mesh rooms) and the errors a relay can end with.
SIGNALING_TYPES = frozenset({"webrtc_offer", "webrtc_answer", "ice_candidate", "request_offer", "offer", "answer"})
SIGNALING_FAILURES = frozenset({"unknown_target", "unknown_peer", "sdp_too_large", "streamer_offline", "forbidden"})

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

OPEN_SOCKETS = Gauge(
    "realtime_ws_open_sockets", "Open authenticated WebSockets, by route.", ["route"], multiprocess_mode="livesum"
)
CONNECTS = Counter("realtime_ws_connects", "Authenticated WebSockets accepted, by route.", ["route"])
CLOSES = Counter("realtime_ws_closes", "WebSockets closed, by route and close code.", ["route", "code"])
FRAMES_IN = Counter("realtime_ws_frames_in", "Client frames parsed, by route and type.", ["route", "type"])
FRAMES_OUT = Counter("realtime_ws_frames_out", "Frames sent to clients, by route and type.", ["route", "type"])
ERRORS_OUT = Counter("realtime_ws_errors", "`error` frames sent to clients, by route and code.", ["route", "code"])
RATE_LIMITED = Counter(
    "realtime_ws_rate_limited_frames", "Client frames refused by the rate limit, by route.", ["route"]
)
GROUP_SENDS = Counter("realtime_group_sends", "group_send calls to the channel layer.")
PUBLISH_FAILURES = Counter("realtime_publish_failures", "group_send calls that raised (the event was not delivered).")
LAYER_SEND_SECONDS = Histogram("realtime_layer_send_seconds", "Latency of one group_send.", buckets=LATENCY_BUCKETS)
MESSAGE_CREATE_SECONDS = Histogram(
    "chat_message_create_seconds", "Latency of chat.services.message_create.", buckets=LATENCY_BUCKETS
)
MESSAGES_CREATED = Counter("chat_messages_created", "Chat messages stored (resends excluded).")
MESSAGE_BATCH_SECONDS = Histogram(
    "chat_message_batch_seconds", "Latency of chat.services.messages_create_batch.", buckets=LATENCY_BUCKETS
)
MESSAGE_BATCHES = Counter("chat_message_batches", "Chat message batches written (one transaction each).")
MESSAGES_BATCHED = Counter("chat_messages_batched", "Chat messages written through the group commit batcher.")
RECEIPT_BATCHES = Counter("chat_receipt_batches", "Receipt batches written (one transaction each).")
RECEIPTS_BATCHED = Counter("chat_receipts_batched", "Receipts written through the batcher.")
NOTIFICATION_BATCHES = Counter("notifications_batches", "`notification_batch` frames sent.")
NOTIFICATIONS_BATCHED = Counter("notifications_batched", "Notifications delivered inside a `notification_batch` frame.")
PRESENCE_SWEEPS = Counter("realtime_presence_sweeps", "Presence sweeps run (one process per interval).")
PRESENCE_SWEPT = Counter("realtime_presence_swept_entries", "Presence entries removed by a sweep (their process died).")
SIGNALING_RELAYS = Counter("webrtc_signaling_relays", "WebRTC signaling frames relayed, by type.", ["type"])
SIGNALING_ERRORS = Counter("webrtc_signaling_failures", "WebRTC signaling frames refused, by reason.", ["reason"])
QUALITY_REPORTS = Counter("webrtc_quality_reports", "Call-quality reports from clients, by route.", ["route"])
QUALITY_RTT = Histogram(
    "webrtc_quality_rtt_seconds",
    "Round-trip time clients measure on their WebRTC connections.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6),
)
QUALITY_LOSS = Histogram(
    "webrtc_quality_packet_loss_ratio",
    "Share of inbound packets lost, as clients report it.",
    ["route"],
    buckets=(0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5),
)
QUALITY_BITRATE = Histogram(
    "webrtc_quality_bitrate_kbps",
    "Media bitrate (sent + received) of one connection, as clients report it.",
    ["route"],
    buckets=(32, 64, 128, 256, 512, 1000, 2000, 4000, 8000),
)
QUALITY_FPS = Histogram(
    "webrtc_quality_fps", "Video frame rate clients see.", ["route"], buckets=(1, 5, 10, 15, 20, 25, 30, 60)
)
TASKS_FINISHED = Counter("tasks_finished", "Background tasks finished, by status.", ["status"])
TASK_FAILURES = Counter("tasks_failures", "Background tasks that raised.")


def route(consumer: Any) -> str:
    return getattr(consumer, "metrics_route", None) or type(consumer).__name__


def _known(consumer: Any, event_type: str) -> str:
    if event_type in ("ping", "authenticate") or event_type in getattr(consumer, "handlers", {}):
        return event_type
    return "unknown"


# --- hooks (one line at each call site) -------------------------------------------


def ws_opened(consumer: Any) -> None:
    consumer.metrics_open = True
    CONNECTS.labels(route(consumer)).inc()
    OPEN_SOCKETS.labels(route(consumer)).inc()
    from realtime import stats

    stats.local.sockets += 1
    stats.ensure_reporter()


def ws_closed(consumer: Any, code: int) -> None:
    """Once per socket (BaseConsumer._release); the code the server closed with wins over the client's."""
    code = getattr(consumer, "metrics_close_code", None) or code
    CLOSES.labels(route(consumer), str(code)).inc()
    if getattr(consumer, "metrics_open", False):
        consumer.metrics_open = False
        OPEN_SOCKETS.labels(route(consumer)).dec()
        from realtime import stats

        stats.local.sockets -= 1
        stats.ensure_reporter()


def ws_closing(consumer: Any, code: int) -> None:
    if getattr(consumer, "metrics_close_code", None) is None:
        consumer.metrics_close_code = code


def frame_in(consumer: Any, event_type: str) -> None:
    FRAMES_IN.labels(route(consumer), _known(consumer, event_type)).inc()


def frame_handled(consumer: Any, event_type: str) -> None:
    if event_type in SIGNALING_TYPES:
        SIGNALING_RELAYS.labels(event_type).inc()


def frame_out(consumer: Any, event_type: str | None) -> None:
    FRAMES_OUT.labels(route(consumer), str(event_type or "unknown")[:64]).inc()


def error_out(consumer: Any, code: str, extra: dict[str, Any]) -> None:
    FRAMES_OUT.labels(route(consumer), "error").inc()
    ERRORS_OUT.labels(route(consumer), code[:64]).inc()
    if extra.get("type") in SIGNALING_TYPES and code in SIGNALING_FAILURES:
        SIGNALING_ERRORS.labels(code).inc()


def quality_report(consumer: Any, report: dict[str, Any]) -> None:
    """One `quality_report` (validated by realtime.webrtc.QualityReportInput): figures that were measured."""
    name = route(consumer)
    QUALITY_REPORTS.labels(name).inc()
    if report.get("rtt_ms") is not None:
        QUALITY_RTT.labels(name).observe(report["rtt_ms"] / 1000)
    if report.get("packet_loss_pct") is not None:
        QUALITY_LOSS.labels(name).observe(report["packet_loss_pct"] / 100)
    if report.get("bitrate_kbps") is not None:
        QUALITY_BITRATE.labels(name).observe(report["bitrate_kbps"])
    if report.get("fps") is not None:
        QUALITY_FPS.labels(name).observe(report["fps"])


def rate_limited(consumer: Any) -> None:
    RATE_LIMITED.labels(route(consumer)).inc()


@contextlib.contextmanager
def layer_send(groups: int = 1) -> Iterator[None]:
    """Around sending a message to each of `groups` groups: counts them, times it, counts failures (re-raised)."""
    GROUP_SENDS.inc(groups)
    started = time.perf_counter()
    try:
        yield
    except Exception:
        PUBLISH_FAILURES.inc(groups)
        raise
    finally:
        LAYER_SEND_SECONDS.observe(time.perf_counter() - started)


def message_created() -> None:
    MESSAGES_CREATED.inc()
    from realtime import stats

    stats.local.messages += 1


def _batch_hook(batches: Counter, items: Counter) -> Callable[[int], None]:
    """A hook for one batch of `count` items: both counters move."""

    def hook(count: int) -> None:
        batches.inc()
        items.inc(count)

    return hook


messages_batched = _batch_hook(MESSAGE_BATCHES, MESSAGES_BATCHED)
receipts_batched = _batch_hook(RECEIPT_BATCHES, RECEIPTS_BATCHED)
notifications_batched = _batch_hook(NOTIFICATION_BATCHES, NOTIFICATIONS_BATCHED)
presence_swept = _batch_hook(PRESENCE_SWEEPS, PRESENCE_SWEPT)


def task_finished(sender: Any, task_result: Any = None, **kwargs: Any) -> None:
    """django_tasks' `task_finished` signal (connected in realtime.apps); runs in the worker."""
    status = str(getattr(getattr(task_result, "status", None), "name", "UNKNOWN"))
    TASKS_FINISHED.labels(status).inc()
    if status == "FAILED":
        TASK_FAILURES.inc()


# --- cluster-wide gauges, read at scrape time ------------------------------------


class ClusterCollector:
    """Gauges computed from Redis and the database when `/metrics` is scraped (see realtime.stats)."""

    def __init__(self, figures: dict[str, Any]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        f = self.figures
        yield GaugeMetricFamily(
            "realtime_cluster_sockets", "Open sockets on every process (process reports).", value=f["sockets"]
        )
        yield GaugeMetricFamily(
            "realtime_online_users", "Users with at least one socket open.", value=f["online_users"]
        )
        yield GaugeMetricFamily(
            "realtime_presence_entries",
            "Presence entries (scope, member) alive in the store.",
            value=f["presence_entries"],
        )
        yield GaugeMetricFamily(
            "chat_active_conversations",
            "Conversations with a message in the last 5 minutes.",
            value=f["active_conversations"],
        )
        viewers = GaugeMetricFamily("live_viewers", "Viewers of each live stream.", labels=["stream"])
        for stream in f["live"]["streams"]:
            viewers.add_metric([str(stream["id"])], stream["viewers"])
        yield viewers
        yield GaugeMetricFamily("live_streams", "Streams live now.", value=f["live"]["count"])
        yield GaugeMetricFamily("rtc_rooms", "Rooms with at least one participant.", value=f["rooms"]["count"])
        yield GaugeMetricFamily("rtc_participants", "Participants in rooms.", value=f["rooms"]["participants"])
        yield GaugeMetricFamily("tasks_queue_depth", "Background tasks waiting to run.", value=f["tasks"]["queued"])
        yield GaugeMetricFamily(
            "tasks_oldest_queued_age_seconds",
            "Age of the oldest task waiting to run (0 when none).",
            value=f["tasks"]["oldest_age_seconds"],
        )
        yield GaugeMetricFamily(
            "tasks_failed_results", "Failed task results kept in the database.", value=f["tasks"]["failed"]
        )
