"""Settings of the test session: the production settings plus a random secret key.

pytest-django imports the settings before any conftest runs, and outside DEBUG
they refuse to load without a strong DJANGO_SECRET_KEY; tests therefore run with
production defaults (DEBUG off) and a fresh key per session. The key lives in the
environment, so the server processes e2e tests start (scripts/cluster.py) inherit
it and accept the tokens the tests sign.
"""

import os
import secrets

os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
# In-process clients other than Django's (schemathesis' WSGI client) say Host: localhost.
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

from config.settings import *  # noqa: F403

# Tests render pages without running collectstatic first; the production storage (hashed,
# compressed) is exercised by tests/test_static_files.py, which does run it.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
