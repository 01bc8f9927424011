"""What the browser client needs to know of the server's rules: `{% load client %}{% client_limits as limits %}`.

templates/base.html writes them on <body> as data- attributes for static/js/constants.js, and the page
templates use them for `maxlength`/`pattern`, so no limit or close code is copied into the client by hand.
"""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.conf import settings

from items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from livestream.models import Stream
from realtime import closecodes
from rtc.models import ROOM_ID_PATTERN, Room
from social.models import COMMENT_MAX_LENGTH, POST_MAX_LENGTH

register = template.Library()


def close_codes() -> dict[str, int]:
    """Every close code of realtime/closecodes.py by name."""
    return {name: value for name, value in vars(closecodes).items() if name.isupper() and isinstance(value, int)}


@register.simple_tag
def client_limits() -> dict[str, Any]:
    """Limits by name, plus `close_codes_json` (read on every render: tests override settings)."""
    limits = {
        "chat_max_message_length": settings.CHAT_MAX_MESSAGE_LENGTH,
        "chat_typing_timeout_ms": round(settings.CHAT_TYPING_TIMEOUT_SECONDS * 1000),
        "live_comment_max_length": settings.LIVE_COMMENT_MAX_LENGTH,
        "comment_max_length": COMMENT_MAX_LENGTH,
        "post_max_length": POST_MAX_LENGTH,
        "item_title_max_length": TITLE_MAX_LENGTH,
        "item_description_max_length": DESCRIPTION_MAX_LENGTH,
        "room_id_pattern": ROOM_ID_PATTERN,
        "room_id_max_length": Room._meta.get_field("room_id").max_length,
        "room_title_max_length": Room._meta.get_field("title").max_length,
        "stream_title_max_length": Stream._meta.get_field("title").max_length,
    }
    return {**limits, "close_codes_json": json.dumps(close_codes(), sort_keys=True)}
