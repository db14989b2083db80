"""Small helpers shared by the behavioural tests: clients per portal host, tokens, records."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from clearinghouse.api.auth import issue_token
from clearinghouse.records import services
from clearinghouse.records.models import Record
from tests.factories import valid_document


def web(host: str = "bj.testserver", user: Any = None) -> Client:
    """A browser-like client on one portal's host, logged in as ``user`` if given."""
    client = Client(HTTP_HOST=host)
    if user is not None:
        client.force_login(user)
    return client


class Api:
    """The JSON API on one portal's host, with a bearer token when a user is given."""

    def __init__(self, host: str = "bj.testserver", user: Any = None) -> None:
        self.client = Client(HTTP_HOST=host)
        self.headers: dict[str, str] = {}
        if user is not None:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(user)}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api{path}", params, **self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            **self.headers,
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(
            f"/api{path}", json.dumps(body), content_type="application/json", **self.headers
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api{path}", **self.headers)


def draft(portal: Any, user: Any, schema: str = "resource", **changes: Any) -> Record:
    return services.create_draft(portal, user, schema, valid_document(schema, **changes))


def published(portal: Any, publisher: Any, schema: str = "resource", **changes: Any) -> Record:
    record = draft(portal, publisher, schema, **changes)
    if Record.objects.get(pk=record.pk).published_id is None:
        services.publish(record, publisher)
    record.refresh_from_db()
    return record
