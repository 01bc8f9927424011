from __future__ import annotations

from typing import Any

import pytest

from livestream import selectors, services
from livestream.models import Ban, Kick, StreamStatus

pytestmark = [pytest.mark.django_db]


def test_stream_list_puts_live_first_then_scheduled_then_ended(make_user: Any) -> None:
    streamer = make_user()
    ended = services.stream_create(streamer=streamer, title="ended")
    services.stream_start(stream_id=ended.pk, user=streamer)
    services.stream_end(stream_id=ended.pk, user=streamer)
    old_live = services.stream_create(streamer=streamer, title="old live")
    services.stream_start(stream_id=old_live.pk, user=streamer)
    scheduled = services.stream_create(streamer=streamer, title="scheduled")
    new_live = services.stream_create(streamer=streamer, title="new live")
    services.stream_start(stream_id=new_live.pk, user=streamer)
    assert [s.title for s in selectors.stream_list()] == ["new live", "old live", "scheduled", "ended"]
    assert scheduled.status == StreamStatus.SCHEDULED


def test_badge_prefers_moderator_over_vip(make_user: Any) -> None:
    streamer, user = make_user(), make_user()
    services.vip_add(streamer=streamer, username=user.username)
    assert selectors.badge_for(streamer_id=streamer.pk, user_id=user.pk) == "vip"
    services.moderator_add(streamer=streamer, username=user.username)
    assert selectors.badge_for(streamer_id=streamer.pk, user_id=user.pk) == "moderator"
    assert selectors.badge_for(streamer_id=user.pk, user_id=streamer.pk) == "viewer"


def test_ban_covers_every_stream_of_the_streamer_kick_only_one(make_user: Any) -> None:
    streamer, banned, kicked = make_user(), make_user(), make_user()
    first = services.stream_create(streamer=streamer, title="one")
    second = services.stream_create(streamer=streamer, title="two")
    Ban.objects.create(streamer=streamer, user=banned)
    Kick.objects.create(stream=first, user=kicked)
    assert selectors.is_barred(stream=first, user_id=banned.pk) and selectors.is_barred(
        stream=second, user_id=banned.pk
    )
    assert selectors.is_barred(stream=first, user_id=kicked.pk) and not selectors.is_barred(
        stream=second, user_id=kicked.pk
    )


def test_user_by_ref_accepts_id_or_username(make_user: Any) -> None:
    user = make_user()
    assert selectors.user_by_ref(ref=user.pk) == user
    assert selectors.user_by_ref(ref=str(user.pk)) == user
    assert selectors.user_by_ref(ref=user.username) == user
