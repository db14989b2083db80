"""The log-in page speaks the visitor's language, Chinese included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("lang", "label"),
    [("zh", "用户名"), ("ar", "اسم المستخدم"), ("ru", "Имя пользователя"), ("fr", "Nom d")],
)
def test_login_labels_are_translated(client: Any, benin: Any, lang: str, label: str) -> None:
    page = client.get(f"/{lang}/accounts/login/", HTTP_HOST="bj.testserver")
    assert label in page.content.decode()


def test_wrong_password_is_explained_in_chinese(client: Any, benin: Any, amina: Any) -> None:
    page = client.post(
        "/zh/accounts/login/",
        {"username": "amina", "password": "wrong"},
        HTTP_HOST="bj.testserver",
    )
    assert "用户名或密码不正确" in page.content.decode()


def test_right_password_logs_in(client: Any, benin: Any, amina: Any) -> None:
    page = client.post(
        "/fr/accounts/login/",
        {"username": "amina", "password": PASSWORD},
        HTTP_HOST="bj.testserver",
    )
    assert page.status_code == 302
