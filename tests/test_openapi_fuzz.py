"""Property-based fuzzing of every REST operation from the published OpenAPI schema.

schemathesis generates requests (valid and invalid) for each operation in
/api/schema/ and runs them in-process against the real app and the test
database, authenticated with a JWT. Every response must be a non-5xx and must
match the schema the API publishes.

(schemathesis' pytest plugin does not support pytest 9 yet, so the operations
are driven with hypothesis directly; each failure names its operation.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from conftest import access_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keep_db_connection():
    """Requests run in-process through WSGI; like Django's test client, don't let the
    request signals close the test's database connection between them."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_every_operation_never_5xx_and_matches_schema(django_user_model, keep_db_connection):
    user = django_user_model.objects.create_user(
        username="fuzzer", password="fuzz-pass-123", email="fuzzer@example.com"
    )
    other = django_user_model.objects.create_user(username="other", password="fuzz-pass-123")
    assert other.pk
    headers = {"Authorization": f"Bearer {access_token(user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations > 10
    assert not failures, "\n\n".join(failures)
