"""REST bodies: JSON nested deeper than JSON_MAX_DEPTH is a 400 with a message, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import override_settings

from realtime.testing import nested, recursion_bomb

pytestmark = [pytest.mark.django_db]

REGISTER = "/api/auth/register/"
NESTED = recursion_bomb('{"username": "dora", "password": "explorer-Map-2024", "x": ', "}")


def test_register_with_a_recursion_bomb_is_400(api_client: Any) -> None:
    response = api_client.generic("POST", REGISTER, NESTED, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested too deeply" in response.json()["detail"]
    assert "32 levels" in response.json()["detail"]


def test_json_just_over_the_cap_is_400_and_at_the_cap_is_parsed(api_client: Any) -> None:
    over = {
        "username": "dora",
        "password": "explorer-Map-2024",
        "email": "d@example.com",
        "x": nested(32),
    }  # 33 levels with the body object
    response = api_client.post(REGISTER, over, format="json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    at = {"username": "dora", "password": "explorer-Map-2024", "email": "d@example.com", "x": nested(31)}
    response = api_client.post(REGISTER, at, format="json")
    assert response.status_code == 201, response.content


@override_settings(JSON_MAX_DEPTH=2)
def test_the_cap_is_a_setting(api_client: Any) -> None:
    response = api_client.post(
        REGISTER, {"username": "dora", "password": "explorer-Map-2024", "x": [[1]]}, format="json"
    )
    assert response.status_code == 400 and "at most 2 levels" in response.json()["detail"]


def test_plain_invalid_json_is_still_a_parse_error(api_client: Any) -> None:
    response = api_client.generic("POST", REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_form_and_multipart_bodies_are_not_affected(api_client: Any, fmt: str) -> None:
    # A value that looks like a bomb is just a string in a form: the form parsers never nest.
    body = {"username": "dora", "password": "explorer-Map-2024", "email": "d@example.com", "bio": "[" * 5000}
    if fmt == "form":
        from urllib.parse import urlencode

        response = api_client.generic(
            "POST", REGISTER, urlencode(body), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = api_client.post(REGISTER, body, format="multipart")
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["username"] == "dora"
