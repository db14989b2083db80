"""Property-based check of the API against its own OpenAPI document (Schemathesis, offline,
in-process): generated requests never cause a server error, and every documented response
matches its schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from clearinghouse.api.auth import issue_token
from clearinghouse.portals.models import Role
from clearinghouse.workflows.publication import request_publication
from tests.factories import make_portal, make_user
from tests.helpers import Api, draft, published

pytestmark = pytest.mark.django_db


def test_generated_requests_never_break_the_api() -> None:
    # Schemathesis calls the WSGI app as host "localhost".
    portal = make_portal("lo", "BJ", hosts=["localhost"])
    jean = make_user(portal, Role.PUBLISHING_AUTHORITY, Role.AUTHORIZED_USER)
    published(portal, jean)
    request_publication(draft(portal, jean), jean)
    headers = {"Authorization": f"Bearer {issue_token(jean)}", "Accept-Encoding": "identity"}

    schema = schemathesis.openapi.from_dict(Api("localhost").get("/openapi.json").json())
    schema.app = get_wsgi_application()
    # Like Django's test client: the test's open transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        failures = _run(schema, headers)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert not failures, "\n\n".join(failures)


def _run(schema: Any, headers: dict[str, str]) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except Exception as exc:  # collect every operation's failures, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    return failures
