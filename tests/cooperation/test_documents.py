"""The cooperation record types accept the factory documents and the evaluation set."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.records.types import get_type
from clearinghouse.records.validation import validate
from tests.factories import valid_document

BENCH = Path(__file__).resolve().parents[2] / "bench" / "match_eval_data.py"


def _eval_data() -> Any:
    spec = importlib.util.spec_from_file_location("match_eval_data", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db
@pytest.mark.parametrize(
    "schema", ["bbiRequest", "bbiProfile", "bbiOpportunity", "fundingOpportunity"]
)
def test_factory_documents_are_valid(schema: str) -> None:
    assert validate(get_type(schema), valid_document(schema)) == []


@pytest.mark.django_db
def test_evaluation_documents_are_valid() -> None:
    data = _eval_data()
    assert len(data.PROVIDERS) >= 25 and len(data.REQUESTS) >= 15
    for key, doc in data.PROVIDERS.items():
        assert validate(get_type("bbiProfile"), doc) == [], key
    for item in data.REQUESTS:
        assert validate(get_type("bbiRequest"), item["document"]) == [], item["key"]
        assert set(item["relevant"]) <= set(data.PROVIDERS), item["key"]
