"""deploy/coturn/turnserver.conf keeps the hardening of finding 12 (and no secret in the file)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "coturn" / "turnserver.conf"


def _directives() -> list[tuple[str, str]]:
    pairs = []
    for line in CONF.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs.append((key.strip(), value.strip()))
    return pairs


def _denied_ranges() -> list[tuple[Any, Any]]:  # IPv4 or IPv6 pairs, compared within one version
    ranges = []
    for key, value in _directives():
        if key == "denied-peer-ip":
            low, _, high = value.partition("-")
            ranges.append((ipaddress.ip_address(low), ipaddress.ip_address(high or low)))
    return ranges


def test_turn_config_requires_server_minted_credentials_and_has_quotas():
    keys = {key for key, _ in _directives()}
    assert {"use-auth-secret", "fingerprint", "no-cli", "no-multicast-peers", "user-quota", "total-quota"} <= keys
    assert "static-auth-secret" not in keys  # from the environment, on the command line
    assert not {"lt-cred-mech", "no-auth", "allow-loopback-peers"} & keys


def test_turn_config_refuses_to_relay_into_private_and_loopback_networks():
    ranges = _denied_ranges()

    def denied(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(low.version == ip.version and low <= ip <= high for low, high in ranges)

    for address in [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
    ]:
        assert denied(address), address
    for address in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"]:
        assert not denied(address), address


def test_compose_runs_coturn_with_this_file_and_the_secret_from_the_environment():
    service = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["coturn"]
    assert service["profiles"] == ["with-turn"]
    assert any(volume.startswith("./deploy/coturn/turnserver.conf:") for volume in service["volumes"])
    # The secret comes from .env inside the container (not the command line), and coturn refuses to start without it.
    assert service["env_file"] == [".env"]
    script = " ".join(service["command"])
    assert 'test -n "$$RTC_TURN_SECRET"' in script and '--static-auth-secret="$$RTC_TURN_SECRET"' in script
