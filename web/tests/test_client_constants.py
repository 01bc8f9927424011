"""The browser client takes its limits and close codes from the server and keeps to one shape.

static/js/constants.js reads close codes and limits from <body>'s data- attributes (written by
web/templatetags/client.py); pages start from `init(root)`, never at import time.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from realtime import closecodes

pytestmark = pytest.mark.django_db

JS = Path(settings.BASE_DIR) / "static" / "js"
TEMPLATES = Path(settings.BASE_DIR) / "templates"
MODULES = sorted(p for p in JS.glob("*.js"))
ENTRY = JS / "app.js"


def body_attributes(page: str) -> dict[str, str]:
    tag = re.search(r"<body([^>]*)>", page, re.S)
    assert tag, "no <body>"
    return {name: html.unescape(value) for name, value in re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(1))}


def test_body_carries_the_servers_close_codes_and_limits(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    attributes = body_attributes(client.get("/chat/").content.decode())
    codes = json.loads(attributes["close-codes"])
    assert codes["FORBIDDEN"] == closecodes.FORBIDDEN == 4403
    assert codes == {name: value for name, value in vars(closecodes).items() if name.isupper()}
    assert attributes["chat-max-message-length"] == str(settings.CHAT_MAX_MESSAGE_LENGTH)
    assert attributes["chat-typing-timeout-ms"] == str(round(settings.CHAT_TYPING_TIMEOUT_SECONDS * 1000))
    assert attributes["live-comment-max-length"] == str(settings.LIVE_COMMENT_MAX_LENGTH)


@override_settings(CHAT_MAX_MESSAGE_LENGTH=123, LIVE_COMMENT_MAX_LENGTH=45, CHAT_TYPING_TIMEOUT_SECONDS=1.5)
def test_a_changed_setting_reaches_the_form_fields_and_the_client(client: Client, make_user: Any) -> None:
    client.force_login(make_user())
    chat = client.get("/chat/1/").content.decode()
    assert 'id="message-text"' in chat and 'maxlength="123"' in chat
    assert body_attributes(chat)["chat-typing-timeout-ms"] == "1500"
    watch = client.get("/live/1/").content.decode()
    assert 'maxlength="45"' in watch


def test_no_template_copies_a_limit() -> None:
    copied = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r'(maxlength|pattern)="[^{"][^"]*"', path.read_text())
    ]
    assert copied == []


def test_every_event_name_of_the_client_is_in_the_protocol_doc() -> None:
    block = re.search(r"export const EVENTS = Object\.freeze\(\{(.*?)\}\);", (JS / "constants.js").read_text(), re.S)
    assert block
    names = re.findall(r':\s*"(\w+)"', block.group(1))
    assert len(names) > 40
    doc = (Path(settings.BASE_DIR) / "docs" / "protocol.md").read_text()
    assert [name for name in names if f"`{name}`" not in doc] == []


def test_close_codes_and_event_names_are_not_copied_into_pages() -> None:
    for path in MODULES:
        if path.name == "constants.js":
            continue
        source = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith(("//", "*", "/*"))
        )
        assert not re.search(r"\b4[0-9]{3}\b", source), f"{path.name} copies a close code: use CLOSE from constants.js"
        assert not re.search(r'\.(send|on)\("', source), (
            f"{path.name} names an event inline: use EVENTS from constants.js"
        )


def test_no_module_touches_the_page_or_the_network_at_import_time() -> None:
    """Top-level statements only declare; the entry (app.js) alone calls `start(document)`."""
    work = re.compile(
        r"\b(document|window|location|navigator|fetch|api|createSocket|init|setInterval|setTimeout)\b\s*[.(]"
    )
    for path in MODULES:
        top_level = [line for line in path.read_text().splitlines() if line and not line[0].isspace()]
        statements = [
            line for line in top_level if not line.startswith(("//", "/*", " *", "*", "import ", "}", ")", "]"))
        ]
        offending = [
            line
            for line in statements
            if (work.search(line) or re.match(r"[\w.]+\(", line))
            and not re.match(r"(export )?(async )?function ", line)
        ]
        if path == ENTRY:
            assert offending == ["start(document);"]
        else:
            assert offending == [], path.name
    for path in (JS / "tests").glob("*.test.js"):
        assert "document" not in path.read_text(), f"{path.name}: the state modules are tested without a DOM"
