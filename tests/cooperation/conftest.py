from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.records import services as record_services
from tests.factories import make_portal, make_user, valid_document


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal("central", "", hosts=["testserver"], kind=PortalKind.CENTRAL)


@pytest.fixture
def helpdesk(central: Any) -> Any:
    return make_user(central, Role.SECRETARIAT, username="laila")


@pytest.fixture
def carlos(peru: Any) -> Any:
    return make_user(peru, Role.AUTHORIZED_USER, username="carlos")


def publish_profile(central: Any, user: Any, **changes: Any) -> Any:
    """A published provider profile on the central portal."""
    if not record_services.permissions.can_draft(user, central):
        from clearinghouse.portals.models import Membership

        Membership.objects.get_or_create(portal=central, user=user, role=Role.CONTRIBUTOR)
        user._portal_roles = None
    record = record_services.create_draft(
        central, user, "bbiProfile", valid_document("bbiProfile", **changes)
    )
    record_services._publish_now(record, user)
    record.refresh_from_db()
    return record


@pytest.fixture
def chile_institute(central: Any) -> Any:
    user = make_user(username="ieb")
    return publish_profile(
        central,
        user,
        title={"es": "Instituto de Ecología y Biodiversidad"},
        header={"languages": ["es"]},
        expertise={"es": "Control y erradicación de especies exóticas invasoras en islas."},
        cbdSubjects=[{"identifier": "CBD-SUBJECT-IAS"}],
        emails=["contacto@ieb.example.cl"],
    )


@pytest.fixture
def chinese_institute(central: Any) -> Any:
    user = make_user(username="chen")
    return publish_profile(
        central,
        user,
        title={"zh": "中国科学院植物研究所"},
        header={"languages": ["zh"]},
        country={"identifier": "cn"},
        coverageRegions=[{"identifier": "m49-142"}],
        expertise={"zh": "生物多样性监测和外来入侵物种管理"},
        operationalLanguages=[{"identifier": "LANG-ZH"}, {"identifier": "LANG-EN"}],
    )


@pytest.fixture
def carlos_record(peru: Any, carlos: Any) -> Any:
    return record_services.create_draft(
        peru, carlos, "bbiRequest", valid_document("bbiRequest", header={"languages": ["es"]})
    )


def publish_call(central: Any, user: Any, **changes: Any) -> Any:
    """A published small-grant call on the central portal."""
    if not record_services.permissions.can_draft(user, central):
        from clearinghouse.portals.models import Membership

        Membership.objects.get_or_create(portal=central, user=user, role=Role.CONTRIBUTOR)
        user._portal_roles = None
    record = record_services.create_draft(
        central, user, "fundingOpportunity", valid_document("fundingOpportunity", **changes)
    )
    record_services._publish_now(record, user)
    record.refresh_from_db()
    return record
