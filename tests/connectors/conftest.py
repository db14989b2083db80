from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.connectors.server import LoopbackServer, loopback_server


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with loopback_server() as srv:
        yield srv
