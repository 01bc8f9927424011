"""TURN REST API credentials and the ICE configuration built from settings."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.test import override_settings

from rtc.ice import ice_configuration, turn_credentials


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


@override_settings(
    RTC_STUN_URLS=["stun:stun.example.org"],
    RTC_TURN_URLS=["turn:t.example.org"],
    RTC_TURN_SECRET="x",
    RTC_TURN_ONLY=True,
)
def test_turn_only_mode_uses_relay_policy_and_omits_stun():
    config = ice_configuration(user_id=1)
    assert config["iceTransportPolicy"] == "relay"
    assert [server["urls"] for server in config["iceServers"]] == [["turn:t.example.org"]]


@override_settings(
    RTC_STUN_URLS=["stun:stun.example.org"],
    RTC_TURN_URLS=["turn:t.example.org"],
    RTC_TURN_SECRET="",
    RTC_TURN_ONLY=False,
)
def test_turn_without_secret_is_not_offered():
    assert ice_configuration(user_id=1)["iceServers"] == [{"urls": ["stun:stun.example.org"]}]
