"""/metrics access and content, /api/stats/, /ready/ and the task queue, quiet probes, Sentry scrubbing."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.routing import websocket_urlpatterns
from conftest import access_token
from realtime.auth import websocket_stack
from realtime.sentry import scrub
from realtime.testing import metric_sample

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


@pytest.mark.django_db
def test_metrics_is_refused_outside_the_allowed_networks_without_the_token(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


@pytest.mark.django_db
def test_metrics_from_loopback_has_http_database_and_realtime_families(client):
    client.get("/health/")
    body = client.get("/metrics").content.decode()
    for family in (
        "django_http_requests_total_by_method",
        "django_db_execute_total",
        "realtime_ws_open_sockets",
        "tasks_queue_depth",
        "rtc_participants",
    ):
        assert family in body, family


@pytest.mark.django_db(transaction=True)
async def test_a_socket_moves_the_connect_frame_and_close_counters(make_user, client):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(make_user)("metric-user")
    before = (await sync_to_async(client.get)("/metrics")).content.decode()
    ws = await _personal_socket(user)
    await ws.send_json_to({"type": "ping", "data": {}})
    assert (await ws.receive_json_from())["type"] == "pong"
    await ws.send_json_to({"type": "mark_read", "data": {"id": "x"}})
    assert (await ws.receive_json_from())["type"] == "error"
    during = (await sync_to_async(client.get)("/metrics")).content.decode()
    await ws.disconnect()
    after = (await sync_to_async(client.get)("/metrics")).content.decode()
    route = {"route": "PersonalConsumer"}
    assert (
        metric_sample(during, "realtime_ws_open_sockets", **route)
        == metric_sample(before, "realtime_ws_open_sockets", **route) + 1
    )
    assert metric_sample(after, "realtime_ws_open_sockets", **route) == metric_sample(
        before, "realtime_ws_open_sockets", **route
    )
    assert (
        metric_sample(after, "realtime_ws_connects_total", **route)
        == metric_sample(before, "realtime_ws_connects_total", **route) + 1
    )
    assert (
        metric_sample(during, "realtime_ws_frames_in_total", type="ping", **route)
        == metric_sample(before, "realtime_ws_frames_in_total", type="ping", **route) + 1
    )
    assert (
        metric_sample(during, "realtime_ws_errors_total", code="invalid", **route)
        == metric_sample(before, "realtime_ws_errors_total", code="invalid", **route) + 1
    )
    assert (
        metric_sample(after, "realtime_ws_closes_total", **route)
        == metric_sample(before, "realtime_ws_closes_total", **route) + 1
    )


@pytest.mark.django_db
def test_stats_are_for_staff_only(api_client, make_user):
    assert api_client.get("/api/stats/").status_code in (401, 403)
    api_client.force_authenticate(make_user("plain"))
    assert api_client.get("/api/stats/").status_code == 403


@pytest.mark.django_db
def test_stats_count_active_conversations_and_messages(api_client, make_user):
    from chat.services import conversation_get_or_create_direct, message_create

    alice, bob = make_user("st-alice"), make_user("st-bob")
    conversation, _ = conversation_get_or_create_direct(user=alice, other=bob)
    for n in range(3):
        message_create(sender=alice, conversation_id=conversation.pk, text=f"m{n}", viewing=set())
    api_client.force_authenticate(make_user("st-staff", is_staff=True))
    body = api_client.get("/api/stats/").json()
    assert body["active_conversations"] == 1
    assert body["messages_last_minute"] == 3 and body["messages_per_second"] == 0.05
    assert body["live"] == {"count": 0, "viewers": 0, "streams": []} and body["rooms"] == {
        "count": 0,
        "participants": 0,
    }
    assert len(body["processes"]) >= 1


@pytest.mark.django_db
def test_ready_fails_when_the_oldest_queued_task_is_too_old(client, settings):
    from django_tasks_db.models import DBTaskResult

    from items.tasks import process_item

    settings.READY_MAX_TASK_AGE_SECONDS = 60
    result = process_item.using(backend="default").enqueue(123456)
    assert client.get("/ready/").status_code == 200
    DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - timedelta(seconds=120))
    response = client.get("/ready/")
    body = response.json()
    assert response.status_code == 503 and body["checks"]["tasks"]["ok"] is False
    assert body["checks"]["tasks"]["queued"] == 1 and body["checks"]["tasks"]["oldest_age_seconds"] >= 120


@pytest.mark.django_db
def test_probe_requests_are_not_logged_at_info(client, caplog):
    with caplog.at_level(logging.INFO, logger="http"):
        client.get("/health/")
        client.get("/ready/")
        client.get("/metrics")
        client.get("/api/")
    paths = [getattr(r, "path", None) for r in caplog.records if r.name == "http" and r.levelno >= logging.INFO]
    assert paths == ["/api/"]


def test_sentry_events_are_redacted_and_tagged_with_the_request_id():
    from realtime.logging import request_id_var

    token = request_id_var.set("rid-42")
    try:
        event = scrub(
            {
                "message": f"failed GET /ws/chat/1/?token={JWT}",
                "request": {
                    "headers": {"Authorization": f"Bearer {JWT}", "Cookie": "sessionid=abc"},
                    "data": {"password": "hunter22"},
                },
                "extra": {"body": '{"password": "hunter22"}'},
            }
        )
    finally:
        request_id_var.reset(token)
    text = str(event)
    assert JWT not in text and "hunter22" not in text and "sessionid=abc" not in text
    assert event["tags"]["request_id"] == "rid-42"


async def _personal_socket(user: object) -> WebsocketCommunicator:
    from asgiref.sync import sync_to_async

    token = await sync_to_async(access_token)(user)
    app = websocket_stack(URLRouter(websocket_urlpatterns))
    ws = WebsocketCommunicator(
        app, f"/ws/notifications/?token={token}", headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")]
    )
    connected, _ = await ws.connect()
    assert connected
    await ws.receive_json_from()  # connection_established
    await ws.receive_json_from()  # unread_count
    return ws


@pytest.mark.django_db(transaction=True)
async def test_staff_get_stats_frames_after_stats_subscribe_until_unsubscribe(make_user, settings):
    from asgiref.sync import sync_to_async

    settings.STATS_REPORT_SECONDS = 0.2
    staff = await sync_to_async(make_user)("stats-staff", is_staff=True)
    ws = await _personal_socket(staff)
    await ws.send_json_to({"type": "stats_subscribe", "data": {}})
    first = await ws.receive_json_from(timeout=5)
    second = await ws.receive_json_from(timeout=5)
    assert first["type"] == second["type"] == "stats"
    assert first["data"]["sockets"] == 1 and first["data"]["online_users"] == 1
    await ws.send_json_to({"type": "stats_unsubscribe", "data": {}})
    await ws.send_json_to({"type": "ping", "data": {}})
    while (frame := await ws.receive_json_from(timeout=5))["type"] != "pong":
        assert frame["type"] == "stats"
    assert await ws.receive_nothing(timeout=0.6)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_stats_subscribe_is_refused_to_non_staff_and_the_socket_stays_open(make_user):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(make_user)("stats-plain")
    ws = await _personal_socket(user)
    await ws.send_json_to({"type": "stats_subscribe", "data": {}})
    error = await ws.receive_json_from(timeout=5)
    assert (
        error["type"] == "error" and error["data"]["code"] == "forbidden" and error["data"]["type"] == "stats_subscribe"
    )
    await ws.send_json_to({"type": "ping", "data": {}})
    assert (await ws.receive_json_from(timeout=5))["type"] == "pong"
    assert await ws.receive_nothing(timeout=0.5)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_that_request_id(auth_client, make_user, caplog):
    from django_tasks_db.models import DBTaskResult

    from items.models import Item
    from items.tasks import process_item

    owner = make_user("rid-owner")
    item = Item.objects.create(owner=owner, title="work")
    response = auth_client(owner).post(f"/api/items/{item.pk}/process/", HTTP_X_REQUEST_ID="req-items-7")
    assert response.status_code in (200, 202), response.content
    task = DBTaskResult.objects.get(task_path="items.tasks.process_item")
    assert task.args_kwargs == {"args": [item.pk], "kwargs": {"request_id": "req-items-7"}}
    with caplog.at_level(logging.INFO, logger="items"):
        process_item.call(*task.args_kwargs["args"], **task.args_kwargs["kwargs"])
    from realtime.logging import ContextFilter

    lines = [r for r in caplog.records if r.getMessage() == "item_processed"]
    assert lines and all(ContextFilter().filter(r) and r.request_id == "req-items-7" for r in lines)


@pytest.mark.django_db(transaction=True)
async def test_socket_log_lines_carry_the_handshake_request_id(make_user, caplog):
    from asgiref.sync import sync_to_async

    user = await sync_to_async(make_user)("rid-socket")
    token = await sync_to_async(access_token)(user)
    app = websocket_stack(URLRouter(websocket_urlpatterns))
    headers = [(b"origin", b"http://testserver"), (b"host", b"testserver"), (b"x-request-id", b"ws-rid-9")]
    with caplog.at_level(logging.INFO, logger="realtime"):
        ws = WebsocketCommunicator(app, f"/ws/notifications/?token={token}", headers=headers)
        assert (await ws.connect())[0]
        await ws.receive_json_from()
        await ws.disconnect()
    from realtime.logging import ContextFilter

    lines = [r for r in caplog.records if r.getMessage() in ("ws_connected", "ws_disconnected")]
    assert len(lines) == 2 and all(ContextFilter().filter(r) and r.request_id == "ws-rid-9" for r in lines)


@pytest.mark.django_db
def test_finished_and_failed_tasks_are_counted_from_the_task_signal(client):
    import dataclasses

    from django_tasks import TaskResultStatus
    from django_tasks.signals import task_finished
    from django_tasks_db.backend import DatabaseBackend

    from items.tasks import process_item

    result = process_item.enqueue(1)
    before = client.get("/metrics").content.decode()
    task_finished.send(sender=DatabaseBackend, task_result=dataclasses.replace(result, status=TaskResultStatus.FAILED))
    task_finished.send(
        sender=DatabaseBackend, task_result=dataclasses.replace(result, status=TaskResultStatus.SUCCESSFUL)
    )
    after = client.get("/metrics").content.decode()
    assert metric_sample(after, "tasks_failures_total") == metric_sample(before, "tasks_failures_total") + 1
    assert (
        metric_sample(after, "tasks_finished_total", status="SUCCESSFUL")
        == metric_sample(before, "tasks_finished_total", status="SUCCESSFUL") + 1
    )
