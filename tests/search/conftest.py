from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.records.models import Record
from tests.search import corpus


@pytest.fixture
def publish_corpus(
    db: Any, django_capture_on_commit_callbacks: Any
) -> Callable[..., dict[str, Record]]:
    """Publish records of the labelled corpus (after-commit indexing runs)."""

    def load(*keys: str) -> dict[str, Record]:
        with django_capture_on_commit_callbacks(execute=True):
            return corpus.load(list(keys) if keys else None)

    return load


@pytest.fixture
def central(db: Any) -> Any:
    return corpus.portals()["central"]
