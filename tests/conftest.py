from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.portals.models import Role
from tests.factories import make_portal, make_user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Load the shipped vocabularies once; tests roll back their own changes."""
    from clearinghouse.vocabularies.seed import load_all

    with django_db_blocker.unblock():
        load_all()


@pytest.fixture
def vocab(db: Any) -> None:
    """For transactional tests (live server), whose database is emptied after each test."""
    from clearinghouse.vocabularies.models import Concept
    from clearinghouse.vocabularies.seed import load_all

    if not Concept.objects.exists():
        load_all()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """A request to /ar/… leaves Arabic active in the thread (LocaleMiddleware), and a command
    run by the next test would then print Arabic: every test starts in the default language."""
    yield
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Test accounts need no slow, secure hashing; keeps the suite fast.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def benin(db: Any) -> Any:
    return make_portal("bj", "BJ", hosts=["bj.testserver"])


@pytest.fixture
def peru(db: Any) -> Any:
    return make_portal("pe", "PE", hosts=["pe.testserver"], languages=["es", "en"])


@pytest.fixture
def amina(benin: Any) -> Any:
    """Authorized user: drafts and requests publication."""
    return make_user(benin, Role.AUTHORIZED_USER, username="amina")


@pytest.fixture
def jean(benin: Any) -> Any:
    """Publishing authority of Benin."""
    return make_user(benin, Role.PUBLISHING_AUTHORITY, username="jean")
