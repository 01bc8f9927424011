"""Demo data for `make run`: users alice, bob, carol with follows, posts, comments, likes and items.

Demo users have a published password and alice is a superuser, so the command
refuses to run when DEBUG is off unless given --force (docker compose: profile `demo`).

Idempotent: users are created when missing (and their password reset to DEMO_PASSWORD
when it differs); the social part runs only once (skipped when alice already has
posts), so re-running never sends notifications twice; items are added per user
only when that user has none.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import follow_create

DEMO_USERS: list[dict[str, Any]] = [
    {"username": "alice", "display_name": "Alice Liddell", "bio": "Curiouser and curiouser.", "staff": True},
    {"username": "bob", "display_name": "Bob Builder", "bio": "Can we fix it?", "staff": False},
    {"username": "carol", "display_name": "Carol Danvers", "bio": "Higher, further, faster.", "staff": False},
]
DEMO_FOLLOWS = [("bob", "alice"), ("carol", "alice"), ("alice", "bob")]


class Command(BaseCommand):
    help = "Create demo users (alice, bob, carol), follows, posts, comments, likes and items. Safe to run repeatedly."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="seed even when DEBUG is off (never on a production database)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo users (known password, a superuser) with DEBUG off. "
                "Run with DEBUG=true for development, or pass --force if this database is really a demo."
            )
        password = getattr(settings, "DEMO_PASSWORD", "demo-pass-123")
        users = {spec["username"]: self._user(spec, password) for spec in DEMO_USERS}
        for follower, followee in DEMO_FOLLOWS:
            follow_create(follower=users[follower], followee=users[followee])
        if users["alice"].posts.exists():
            self.stdout.write("Demo posts already exist; skipping posts, comments and likes.")
        else:
            self._social(users)
        self._items(users)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo users: {', '.join(users)} (password: {password}); alice is a superuser (/admin/)."
            )
        )

    def _user(self, spec: dict[str, Any], password: str) -> User:
        user, created = User.objects.get_or_create(
            username=spec["username"],
            defaults={
                "email": f"{spec['username']}@example.com",
                "display_name": spec["display_name"],
                "bio": spec["bio"],
            },
        )
        changed: list[str] = []
        if created or not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if spec["staff"] and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            changed += ["is_staff", "is_superuser"]
        if changed:
            user.save(update_fields=changed)
        return user

    @transaction.atomic
    def _social(self, users: dict[str, User]) -> None:
        from social.services import comment_create, like_create, post_create

        alice, bob, carol = users["alice"], users["bob"], users["carol"]
        welcome = post_create(author=alice, text="Welcome to the demo! Say hi, @bob and @carol.")
        post_create(author=alice, text="Real-time notifications, chat and live streams are all on one socket.")
        build = post_create(author=bob, text="Building something new today. @alice, want to review it?")
        post_create(author=carol, text="First post. Hello world!")
        hi = comment_create(author=bob, post=welcome, text="Hi Alice!")
        comment_create(author=alice, post=welcome, text="Glad you are here, @bob.", parent=hi)
        comment_create(author=carol, post=welcome, text="Hello from Carol, cc @bob")
        comment_create(author=alice, post=build, text="Sure, send it over.")
        like_create(user=bob, post=welcome)
        like_create(user=carol, post=welcome)
        like_create(user=alice, post=build)

    def _items(self, users: dict[str, User]) -> None:
        try:
            from items.models import Item
            from items.services import item_bulk_create
        except ImportError:
            self.stdout.write("items app not available; skipping demo items.")
            return
        for username, user in users.items():
            if Item.objects.filter(owner=user).exists():
                continue
            item_bulk_create(
                owner=user,
                items=[
                    {"title": f"{username.title()}'s first item", "description": "Created by seed_demo."},
                    {"title": f"{username.title()}'s second item", "description": "Try the Process button."},
                    {
                        "title": f"{username.title()}'s third item",
                        "description": "Pending review.",
                        "status": "pending",
                    },
                ],
            )
