from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import Follow, User
from accounts.signals import user_followed
from social.models import Comment, Like, Mention, Post
from social.signals import post_commented, post_liked, user_mentioned

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings) -> None:
    """`make run` seeds with DEBUG on; the refusal outside DEBUG has its own tests below."""
    settings.DEBUG = True


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Follow.objects.count(),
        Post.objects.count(),
        Comment.objects.count(),
        Like.objects.count(),
        Mention.objects.count(),
    )


def test_seed_demo_creates_demo_world_and_prints_password() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    alice = User.objects.get(username="alice")
    assert alice.is_staff and alice.is_superuser
    assert alice.check_password(settings.DEMO_PASSWORD)
    assert settings.DEMO_PASSWORD in out.getvalue() and "bob" in out.getvalue() and "carol" in out.getvalue()
    pairs = set(Follow.objects.values_list("follower__username", "followee__username"))
    assert pairs == {("bob", "alice"), ("carol", "alice"), ("alice", "bob")}
    assert Post.objects.filter(author=alice).exists()
    assert Comment.objects.filter(parent__isnull=False).exists()
    assert Mention.objects.exists() and Like.objects.exists()
    try:
        from items.models import Item
    except ImportError:
        return
    assert {u: Item.objects.filter(owner__username=u).count() for u in ("alice", "bob", "carol")} == {
        "alice": 3,
        "bob": 3,
        "carol": 3,
    }


def test_seed_demo_twice_changes_nothing_and_signals_nothing(signal_log) -> None:
    call_command("seed_demo", stdout=StringIO())
    before = _counts()
    signal_log.listen(user_followed, user_mentioned, post_commented, post_liked)
    call_command("seed_demo", stdout=StringIO())
    assert _counts() == before
    assert signal_log.calls == []


def test_seed_demo_restores_a_changed_demo_password() -> None:
    call_command("seed_demo", stdout=StringIO())
    bob = User.objects.get(username="bob")
    bob.set_password("something-else-entirely")
    bob.save()
    call_command("seed_demo", stdout=StringIO())
    bob.refresh_from_db()
    assert bob.check_password(settings.DEMO_PASSWORD)


def test_seed_demo_refuses_with_debug_off_and_creates_nothing(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.filter(username__in=["alice", "bob", "carol"]).exists()


def test_seed_demo_with_force_seeds_with_debug_off(settings) -> None:
    settings.DEBUG = False
    call_command("seed_demo", "--force", stdout=StringIO())
    assert User.objects.get(username="alice").is_superuser
