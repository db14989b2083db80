from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.portals.models import PortalKind, Role
from tests.factories import make_portal, make_user


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal(
        "central", "", hosts=["cbd.testserver"], kind=PortalKind.CENTRAL, languages=["en", "fr"]
    )


@pytest.fixture
def laila(central: Any) -> Any:
    """Secretariat reviewer and manager of the central portal."""
    return make_user(central, Role.SECRETARIAT, Role.MANAGER, username="laila")
