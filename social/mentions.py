"""Finding `@username` in text.

A mention is `@` followed by username characters (letters, digits, `_ . -`; Django
usernames also allow `+` and `@`, but those would make `@bob+alice` or an e-mail
address ambiguous), not preceded by a username character: `bob@example.com` is an
e-mail address, not a mention of `example.com`.
"""

from __future__ import annotations

import re

from django.db.models.functions import Lower

from accounts.models import User

MENTION_RE = re.compile(r"(?<![\w@.+-])@([\w][\w.-]*)")
# Bounds the notifications one text can cause.
MAX_MENTIONS_PER_TEXT = 20
# Bounds the lookup query for a text made of thousands of `@x`.
MAX_CANDIDATES = 200


def parse_mentions(text: str) -> list[str]:
    """Candidate usernames in order of first appearance, lower-cased, without duplicates.

    A trailing `.` or `-` is sentence punctuation ("thanks @bob.") unless a user has that exact name, so both
    forms are returned and `resolve_mentions` prefers the longer one that exists.
    """
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        raw = match.group(1).lower()
        for candidate in (raw, raw.rstrip(".-")):
            if candidate and candidate not in seen:
                seen[candidate] = None
        if len(seen) >= MAX_CANDIDATES:
            break
    return list(seen)


def resolve_mentions(text: str, *, author: User) -> list[User]:
    """Existing active users mentioned in `text`, excluding the author; unknown names are ignored."""
    candidates = parse_mentions(text)
    if not candidates:
        return []
    users = {
        u.lower_username: u
        for u in User.objects.annotate(lower_username=Lower("username")).filter(
            lower_username__in=candidates, is_active=True
        )
    }
    found: list[User] = []
    found_ids: set[int] = set()
    for match in MENTION_RE.finditer(text):
        raw = match.group(1).lower()
        user = users.get(raw) or users.get(raw.rstrip(".-"))
        if user is None or user.pk == author.pk or user.pk in found_ids:
            continue
        found.append(user)
        found_ids.add(user.pk)
        if len(found) >= MAX_MENTIONS_PER_TEXT:
            break
    return found
