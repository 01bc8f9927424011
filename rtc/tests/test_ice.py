"""TURN REST API credentials and the ICE configuration built from settings."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from django.test import override_settings

from rtc.ice import ice_configuration, turn_credentials, turn_settings_problem


def test_turn_credentials_match_known_vector():
    # Vector computed independently with:
    # printf '1700003600:42' | openssl dgst -sha1 -hmac north-secret -binary | base64
    creds = turn_credentials(secret="north-secret", user_id=42, ttl_seconds=3600, now=1_700_000_000)
    assert creds.username == "1700003600:42"
    assert creds.credential == "Vvpl3+GzWo2LZteNDmUf0K3+qHY="
    assert creds.expires_at == 1_700_003_600


def test_turn_credentials_change_with_secret_and_user():
    a = turn_credentials(secret="s1", user_id=1, ttl_seconds=60, now=100)
    assert turn_credentials(secret="s2", user_id=1, ttl_seconds=60, now=100).credential != a.credential
    assert turn_credentials(secret="s1", user_id=2, ttl_seconds=60, now=100).username == "160:2"
    expected = base64.b64encode(hmac.new(b"s1", b"160:1", hashlib.sha1).digest()).decode()
    assert a.credential == expected


@override_settings(
    RTC_STUN_URLS=["stun:stun.example.org:3478"],
    RTC_TURN_URLS=["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"],
    RTC_TURN_SECRET="top-secret",
    RTC_TURN_TTL_SECONDS=600,
    RTC_TURN_ONLY=False,
    RTC_BUNDLE_POLICY="max-bundle",
    RTC_RTCP_MUX_POLICY="require",
)
def test_ice_configuration_has_stun_and_turn_with_expiring_credentials():
    config = ice_configuration(user_id=7, now=1000)
    assert config["iceTransportPolicy"] == "all"
    assert config["bundlePolicy"] == "max-bundle" and config["rtcpMuxPolicy"] == "require" and config["ttl"] == 600
    stun, turn = config["iceServers"]
    assert stun == {"urls": ["stun:stun.example.org:3478"]}
    assert turn["urls"] == ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]
    assert turn["username"] == "1600:7"
    assert turn["credential"] == turn_credentials(secret="top-secret", user_id=7, ttl_seconds=600, now=1000).credential
    assert "top-secret" not in repr(config)


def stun_and_turn(*, secret: str, turn_only: bool) -> override_settings:
    """One STUN and one TURN server configured; the TURN secret and the relay-only mode vary."""
    return override_settings(
        RTC_STUN_URLS=["stun:stun.example.org"],
        RTC_TURN_URLS=["turn:t.example.org"],
        RTC_TURN_SECRET=secret,
        RTC_TURN_ONLY=turn_only,
    )


@stun_and_turn(secret="x", turn_only=True)
def test_turn_only_mode_uses_relay_policy_and_omits_stun():
    config = ice_configuration(user_id=1)
    assert config["iceTransportPolicy"] == "relay"
    assert [server["urls"] for server in config["iceServers"]] == [["turn:t.example.org"]]


@stun_and_turn(secret="", turn_only=False)
def test_turn_without_secret_is_not_offered():
    # Such settings are refused at start (below); the builder never offers a TURN URL without credentials.
    assert ice_configuration(user_id=1)["iceServers"] == [{"urls": ["stun:stun.example.org"]}]


@override_settings(
    RTC_STUN_URLS=["stun:stun.example.org"],
    RTC_TURN_URLS=["turn:managed.example.net:3478"],
    RTC_TURN_SECRET="",
    RTC_TURN_USERNAME="acct",
    RTC_TURN_CREDENTIAL="pw",
    RTC_TURN_STATIC_URLS=[],
    RTC_TURN_ONLY=False,
)
def test_fixed_turn_credentials_are_offered_as_configured():
    assert ice_configuration(user_id=1)["iceServers"] == [
        {"urls": ["stun:stun.example.org"]},
        {"urls": ["turn:managed.example.net:3478"], "username": "acct", "credential": "pw"},
    ]


@override_settings(
    RTC_STUN_URLS=[],
    RTC_TURN_URLS=["turn:own.example.org"],
    RTC_TURN_SECRET="s3cret",
    RTC_TURN_USERNAME="acct",
    RTC_TURN_CREDENTIAL="pw",
    RTC_TURN_STATIC_URLS=["turns:managed.example.net:5349"],
    RTC_TURN_ONLY=True,
)
def test_shared_secret_and_fixed_credentials_side_by_side():
    servers = ice_configuration(user_id=7, now=1000)["iceServers"]
    assert servers[0]["urls"] == ["turn:own.example.org"] and servers[0]["username"] == "1600:7"
    assert servers[1] == {"urls": ["turns:managed.example.net:5349"], "username": "acct", "credential": "pw"}


GOOD = {
    "stun_urls": ["stun:s"],
    "turn_urls": [],
    "secret": "",
    "username": "",
    "credential": "",
    "static_urls": [],
    "turn_only": False,
}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"turn_urls": ["turn:t"]}, "RTC_TURN_URLS is set without credentials"),
        ({"turn_urls": ["turn:t"], "username": "u"}, "go together"),
        ({"turn_urls": ["turn:t"], "credential": "p"}, "go together"),
        ({"username": "u", "credential": "p"}, "no TURN URL"),
        ({"turn_urls": ["turn:t"], "secret": "s", "username": "u", "credential": "p"}, "RTC_TURN_STATIC_URLS"),
        ({"static_urls": ["turn:m"]}, "needs RTC_TURN_USERNAME"),
        ({"secret": "s"}, "RTC_TURN_URLS is empty"),
        ({"turn_only": True}, "needs a TURN server"),
        ({"turn_urls": ["http://t"], "secret": "s"}, "must start with turn: or turns:"),
        ({"stun_urls": ["turn:t"]}, "must start with stun: or stuns:"),
    ],
)
def test_ice_settings_that_would_drop_turn_are_refused(change, complaint):
    problem = turn_settings_problem(**{**GOOD, **change})
    assert problem is not None and complaint in problem


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"turn_urls": ["turn:t"], "secret": "s"},
        {"turn_urls": ["turn:t"], "username": "u", "credential": "p", "turn_only": True},
        {"turn_urls": ["turn:t"], "secret": "s", "username": "u", "credential": "p", "static_urls": ["turns:m"]},
    ],
)
def test_ice_settings_that_make_sense_pass(change):
    assert turn_settings_problem(**{**GOOD, **change}) is None
