"""Static files in production: `collectstatic` writes content-hashed, gzipped copies whose
ES module imports point at the hashed names, and whitenoise serves them cached for a year."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client

from config import settings as production_settings


@pytest.fixture
def collected(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = production_settings.STORAGES | {}
    assert (
        not production_settings.DEBUG
        and settings.STORAGES["staticfiles"]["BACKEND"] == "config.staticfiles.StaticFilesStorage"
    )
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", verbosity=0)
    return settings.STATIC_ROOT


def test_collectstatic_hashes_compresses_and_rewrites_module_imports(collected: Path) -> None:
    assert (collected / "staticfiles.json").exists()
    url = static("js/app.js")
    hashed = re.fullmatch(r"/static/js/app\.[0-9a-f]{12}\.js", url)
    assert hashed, url
    app = collected / url.removeprefix("/static/")
    assert app.with_name(app.name + ".gz").exists()
    imports = re.findall(r'from "\./([^"]+)"', app.read_text())
    assert imports and all(re.fullmatch(r"\w+\.[0-9a-f]{12}\.js", name) for name in imports), imports
    for name in imports:
        assert (collected / "js" / name).exists(), name


@pytest.mark.django_db
def test_hashed_files_are_served_compressed_and_cached_for_a_year(collected: Path) -> None:
    response = Client().get(static("js/app.js"), HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    cache_control = response["Cache-Control"]
    assert "immutable" in cache_control and int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= 31_536_000
