"""Services: rules, stored rows and the events published after commit."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from livestream import selectors, services
from livestream.models import Badge, Ban, ChannelRole, Kick, LiveComment, Stream, StreamStatus
from livestream.signals import stream_started
from realtime import closecodes
from realtime.errors import Conflict, Forbidden, InvalidInput, NotFound
from realtime.groups import directory_group, stream_group, streamer_group

pytestmark = [pytest.mark.django_db]


class RecordingLayer:
    """Stands in for the channel layer: records what would be sent to which group."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, message))


@pytest.fixture
def sent() -> Any:
    layer = RecordingLayer()
    with mock.patch("realtime.publish.get_channel_layer", return_value=layer):
        yield layer


def frames(sent: RecordingLayer) -> list[tuple[str, dict[str, Any]]]:
    return [(group, {**message, "frame": json.loads(message["text"])}) for group, message in sent.sent]


@pytest.fixture
def streamer(make_user: Any) -> Any:
    return make_user()


@pytest.fixture
def live(streamer: Any, django_capture_on_commit_callbacks: Any, sent: Any) -> Stream:
    stream = services.stream_create(streamer=streamer, title="Live")
    with django_capture_on_commit_callbacks(execute=True):
        services.stream_start(stream_id=stream.pk, user=streamer)
    sent.sent.clear()
    return stream


def test_stream_create_rejects_blank_title(streamer: Any) -> None:
    with pytest.raises(InvalidInput):
        services.stream_create(streamer=streamer, title="   ")


def test_stream_start_goes_live_signals_and_publishes_after_commit(
    streamer: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    stream = services.stream_create(streamer=streamer, title="Hello")
    receiver = mock.Mock()
    stream_started.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.stream_start(stream_id=stream.pk, user=streamer)
            assert not sent.sent  # nothing leaves before commit
        for callback in callbacks:
            callback()
    finally:
        stream_started.disconnect(receiver)
    assert receiver.call_args.kwargs["stream"].pk == stream.pk
    # the stream's sockets, and every personal socket (the /live/ list)
    ((group, message), (directory, listed)) = frames(sent)
    assert group == stream_group(stream.pk) and message["frame"]["type"] == "stream_started"
    assert message["frame"]["data"]["stream"]["status"] == "live"
    assert directory == directory_group() and listed["frame"] == message["frame"]
    stream.refresh_from_db()
    assert stream.status == StreamStatus.LIVE and stream.started_at is not None


def test_only_the_streamer_starts_and_only_once(streamer: Any, make_user: Any) -> None:
    stream = services.stream_create(streamer=streamer, title="Hello")
    with pytest.raises(Forbidden):
        services.stream_start(stream_id=stream.pk, user=make_user())
    services.stream_start(stream_id=stream.pk, user=streamer)
    with pytest.raises(Conflict):
        services.stream_start(stream_id=stream.pk, user=streamer)


def test_stream_end_closes_every_socket_with_4410(
    live: Stream, streamer: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.stream_end(stream_id=live.pk, user=streamer)
    ((group, message), (directory, listed)) = frames(sent)
    assert (
        group == stream_group(live.pk)
        and message["frame"]["type"] == "stream_ended"
        and message["close_code"] == closecodes.GONE
        and message["only_user"] is None
    )
    # the /live/ list's copy closes nothing: personal sockets stay open
    assert directory == directory_group() and listed["frame"]["type"] == "stream_ended"
    assert listed["close_code"] is None
    with pytest.raises(Conflict):
        services.stream_end(stream_id=live.pk, user=streamer)


def test_streamer_absent_marks_then_ends_after_grace(
    live: Stream, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    with override_settings(LIVE_STREAMER_GRACE_SECONDS=30):
        assert services.stream_streamer_absent(stream_id=live.pk) == "marked"
        assert services.stream_streamer_absent(stream_id=live.pk) == "waiting"
        Stream.objects.filter(pk=live.pk).update(streamer_left_at=timezone.now() - timezone.timedelta(seconds=31))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.stream_streamer_absent(stream_id=live.pk) == "ended"
    assert frames(sent)[0][1]["frame"]["data"]["reason"] == "streamer_left"
    assert services.stream_streamer_absent(stream_id=live.pk) == "noop"


def test_streamer_returning_resets_the_grace_timer(live: Stream) -> None:
    services.stream_streamer_absent(stream_id=live.pk)
    services.stream_streamer_returned(stream_id=live.pk)
    assert Stream.objects.get(pk=live.pk).streamer_left_at is None


def test_viewer_count_keeps_the_peak(live: Stream) -> None:
    for count in (3, 5, 2, -1):
        services.stream_viewers_set(stream_id=live.pk, count=count)
    live.refresh_from_db()
    assert (live.current_viewers, live.peak_viewers) == (0, 5)


def test_comment_badge_snapshot_and_broadcast(
    live: Stream, streamer: Any, make_user: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    vip, viewer = make_user(), make_user()
    services.vip_add(streamer=streamer, username=vip.username)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_create(stream_id=live.pk, author=vip, text="hi")
        services.comment_create(stream_id=live.pk, author=viewer, text="yo")
        services.comment_create(stream_id=live.pk, author=streamer, text="welcome")
    badges = [m["frame"]["data"]["badge"] for _, m in frames(sent)]
    assert badges == ["vip", "viewer", "streamer"]
    data = frames(sent)[0][1]["frame"]["data"]
    assert set(data) == {"id", "stream_id", "author", "text", "badge", "created_at"} and data["author"] == {
        "id": vip.pk,
        "username": vip.username,
    }
    services.vip_remove(streamer=streamer, username=vip.username)
    assert LiveComment.objects.get(pk=first.pk).badge == "vip"


def test_comment_rules(live: Stream, streamer: Any, make_user: Any) -> None:
    viewer = make_user()
    with pytest.raises(InvalidInput):
        services.comment_create(stream_id=live.pk, author=viewer, text="x" * 501)
    Ban.objects.create(streamer=streamer, user=viewer)
    with pytest.raises(Forbidden):
        services.comment_create(stream_id=live.pk, author=viewer, text="hello")
    scheduled = services.stream_create(streamer=streamer, title="Later")
    with pytest.raises(Conflict):
        services.comment_create(stream_id=scheduled.pk, author=streamer, text="hello")


def test_comment_delete_by_moderator_only(
    live: Stream, streamer: Any, make_user: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    viewer, moderator = make_user(), make_user()
    services.moderator_add(streamer=streamer, username=moderator.username)
    comment = services.comment_create(stream_id=live.pk, author=viewer, text="spam")
    with pytest.raises(Forbidden):
        services.comment_delete(comment_id=comment.pk, actor=viewer)
    sent.sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_delete(comment_id=comment.pk, actor=moderator)
    assert next(m["frame"] for _, m in frames(sent))["data"] == {"id": comment.pk}
    with pytest.raises(NotFound):
        services.comment_delete(comment_id=comment.pk, actor=moderator, stream_id=live.pk + 1000)


def test_kick_targets_only_that_user_and_closes_4403(
    live: Stream, streamer: Any, make_user: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    viewer = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.user_kick(stream_id=live.pk, actor=streamer, target=viewer)
    ((_, message),) = frames(sent)
    assert (
        message["frame"]["type"] == "kicked"
        and message["only_user"] == viewer.pk
        and message["close_code"] == closecodes.FORBIDDEN
    )
    assert Kick.objects.filter(stream=live, user=viewer).exists()


def test_moderation_rights(live: Stream, streamer: Any, make_user: Any) -> None:
    viewer, other, moderator = make_user(), make_user(), make_user()
    with pytest.raises(Forbidden):
        services.user_kick(stream_id=live.pk, actor=viewer, target=other)
    with pytest.raises(Forbidden):
        services.user_ban(stream_id=live.pk, actor=viewer, target=other)
    services.moderator_add(streamer=streamer, username=moderator.username)
    with pytest.raises(Forbidden):
        services.user_ban(stream_id=live.pk, actor=moderator, target=streamer)
    services.user_ban(stream_id=live.pk, actor=moderator, target=other)
    services.user_ban(stream_id=live.pk, actor=moderator, target=other)  # idempotent
    assert Ban.objects.filter(streamer=streamer, user=other).count() == 1


def test_roles_are_per_streamer_and_validated(streamer: Any, make_user: Any) -> None:
    user = make_user()
    services.moderator_add(streamer=streamer, username=user.username)
    services.moderator_add(streamer=streamer, username=user.username)
    assert ChannelRole.objects.filter(streamer=streamer, user=user, role="moderator").count() == 1
    with pytest.raises(InvalidInput):
        services.moderator_add(streamer=streamer, username=streamer.username)
    with pytest.raises(NotFound):
        services.vip_add(streamer=streamer, username="nobody-here")
    with pytest.raises(NotFound):
        services.vip_remove(streamer=streamer, username=user.username)
    services.moderator_remove(streamer=streamer, username=user.username)
    assert not ChannelRole.objects.filter(streamer=streamer).exists()


def test_ban_is_published_to_every_stream_of_the_streamer_and_closes_4403(
    live: Stream, streamer: Any, make_user: Any, django_capture_on_commit_callbacks: Any, sent: Any
) -> None:
    viewer = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        services.user_ban(stream_id=live.pk, actor=streamer, target=viewer)
    ((group, message),) = frames(sent)
    assert group == streamer_group(streamer.pk)
    assert message["frame"]["type"] == "kicked" and message["frame"]["data"]["reason"] == "banned"
    assert message["only_user"] == viewer.pk and message["close_code"] == closecodes.FORBIDDEN


def test_banned_moderator_has_no_role_and_cannot_moderate(live: Stream, streamer: Any, make_user: Any) -> None:
    moderator, viewer = make_user(), make_user()
    services.moderator_add(streamer=streamer, username=moderator.username)
    services.vip_add(streamer=streamer, username=moderator.username)
    comment = services.comment_create(stream_id=live.pk, author=viewer, text="hello")
    services.user_ban(stream_id=live.pk, actor=streamer, target=moderator)
    assert selectors.badge_for(streamer_id=streamer.pk, user_id=moderator.pk) == Badge.VIEWER
    assert not selectors.can_moderate(streamer_id=streamer.pk, user_id=moderator.pk)
    with pytest.raises(Forbidden):
        services.user_kick(stream_id=live.pk, actor=moderator, target=viewer)
    with pytest.raises(Forbidden):
        services.user_ban(stream_id=live.pk, actor=moderator, target=viewer)
    with pytest.raises(Forbidden):
        services.comment_delete(comment_id=comment.pk, actor=moderator)
    with pytest.raises(Forbidden) as exc:
        selectors.live_access(stream_id=live.pk, user=moderator)
    assert exc.value.code == "banned"
    assert not Kick.objects.exists() and Ban.objects.filter(user=viewer).count() == 0


def test_only_the_streamer_can_kick_or_ban_a_moderator(live: Stream, streamer: Any, make_user: Any) -> None:
    first, second, viewer = make_user(), make_user(), make_user()
    for moderator in (first, second):
        services.moderator_add(streamer=streamer, username=moderator.username)
    with pytest.raises(Forbidden, match="Only the streamer can kick or ban a moderator"):
        services.user_ban(stream_id=live.pk, actor=first, target=second)
    with pytest.raises(Forbidden, match="Only the streamer can kick or ban a moderator"):
        services.user_kick(stream_id=live.pk, actor=second, target=first)
    assert not Ban.objects.exists() and not Kick.objects.exists()
    services.user_kick(stream_id=live.pk, actor=first, target=viewer)  # moderators still moderate viewers
    services.user_kick(stream_id=live.pk, actor=streamer, target=first)
    services.user_ban(stream_id=live.pk, actor=streamer, target=second)
    assert Kick.objects.filter(user=first).exists() and Ban.objects.filter(user=second).exists()
    # A banned moderator is no longer protected as a moderator: another moderator may kick them.
    services.user_kick(stream_id=live.pk, actor=first, target=second)
