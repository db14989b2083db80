"""`/` sends a visitor to their language, or to the national portal's own language."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def test_root_uses_the_portal_language_when_the_browser_states_none(
    client: Any, benin: Any
) -> None:
    response = client.get("/", HTTP_HOST="bj.testserver")
    assert response.status_code == 302
    assert response["Location"] == "/fr/"


def test_root_follows_the_browser_language(client: Any, benin: Any) -> None:
    response = client.get("/", HTTP_HOST="bj.testserver", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert response["Location"] == "/zh/"


def test_root_ignores_languages_outside_the_six(client: Any, benin: Any) -> None:
    response = client.get("/", HTTP_HOST="bj.testserver", HTTP_ACCEPT_LANGUAGE="de-DE")
    assert response["Location"] == "/fr/"
