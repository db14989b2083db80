"""The public record page stays cheap: a fixed, small number of queries per view."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.records import services
from tests.factories import valid_document

pytestmark = pytest.mark.django_db


def test_record_page_needs_three_queries(
    client: Any, benin: Any, jean: Any, django_assert_max_num_queries: Any
) -> None:
    record = services.create_draft(benin, jean, "resource", valid_document("resource"))
    services.publish(record, jean)
    client.get(f"/en/r/{record.uid}/", HTTP_HOST="bj.testserver")  # vocabulary labels cached
    # host → portal, the record with its published revision, its attachments
    with django_assert_max_num_queries(3):
        response = client.get(f"/en/r/{record.uid}/", HTTP_HOST="bj.testserver")
    assert response.status_code == 200


def test_history_link_appears_with_the_second_revision(client: Any, benin: Any, jean: Any) -> None:
    record = services.create_draft(benin, jean, "resource", valid_document("resource"))
    services.publish(record, jean)
    page = client.get(f"/en/r/{record.uid}/", HTTP_HOST="bj.testserver").content.decode()
    assert f"/en/r/{record.uid}/revisions/" not in page

    services.edit_published(record, jean)
    services.publish(record, jean)
    page = client.get(f"/en/r/{record.uid}/", HTTP_HOST="bj.testserver").content.decode()
    assert f"/en/r/{record.uid}/revisions/" in page
