from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clearinghouse.vocabularies import skos
from clearinghouse.vocabularies.models import ConceptScheme


@pytest.fixture
def web(benin: Any) -> Client:
    """A client for Benin's portal (every page needs a portal chosen by host name)."""
    return Client(HTTP_HOST="bj.testserver")


@pytest.fixture
def gbf_graph(db: Any) -> Any:
    return skos.build_graph(
        ConceptScheme.objects.filter(identifier__in=["gbf-goals", "gbf-targets", "gbf-indicators"])
    )
