"""The lock files pin every package with hashes and agree with the human-edited lists.

requirements*.txt say what we want; requirements*.lock (`make lock`, pip-tools) are what
`make`, the Dockerfile and CI install with `--require-hashes`. A package added to a list
but not locked fails here (run `make lock`); .ci/run installs the lock into a fresh
virtualenv to show it is complete.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scripts.cluster import BASE_DIR

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wanted(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            pins |= wanted(path.parent / line.split(None, 1)[1])
        elif match := PIN.match(line):
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def locked(path: Path) -> dict[str, str]:
    entries = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
    pins: dict[str, str] = {}
    for entry in entries:
        if match := PIN.match(entry):
            assert "--hash=sha256:" in entry, f"{path.name}: {match.group(1)} has no hash"
            pins[canonical(match.group(1))] = match.group(2)
    return pins


@pytest.mark.parametrize(
    ("source", "lock"), [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]
)
def test_lock_pins_every_listed_package_at_the_listed_version(source: str, lock: str) -> None:
    want, have = wanted(BASE_DIR / source), locked(BASE_DIR / lock)
    assert want and len(have) > len(want)  # indirect dependencies are locked too
    mismatched = {name: (version, have.get(name)) for name, version in want.items() if have.get(name) != version}
    assert not mismatched, f"run `make lock`: {mismatched}"


def test_runtime_and_dev_locks_agree() -> None:
    runtime, dev = locked(BASE_DIR / "requirements.lock"), locked(BASE_DIR / "requirements-dev.lock")
    assert set(runtime) <= set(dev)
    assert {name: version for name, version in runtime.items() if dev[name] != version} == {}


def test_installs_use_the_lock_with_hashes() -> None:
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "install --quiet --require-hashes --no-deps -r requirements.lock" in makefile
    assert "install --quiet --require-hashes --no-deps -r requirements-dev.lock" in makefile
    assert "--require-hashes --no-deps -r requirements-dev.lock" in (BASE_DIR / ".ci" / "run").read_text()
