"""import_vocabulary / export_vocabulary commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.vocabularies.models import Concept

pytestmark = pytest.mark.django_db


def test_export_then_import_a_scheme(tmp_path: Path) -> None:
    out = tmp_path / "goals.ttl"
    call_command("export_vocabulary", "gbf-goals", "--output", str(out))
    assert "GBF-GOAL-A" in out.read_text(encoding="utf-8")
    Concept.objects.filter(identifier="GBF-GOAL-B").update(pref_labels={"en": "changed"})
    call_command("import_vocabulary", str(out))
    assert Concept.objects.get(identifier="GBF-GOAL-B").pref_labels["en"].startswith("Goal B")


def test_import_lists_violations_and_stores_nothing(tmp_path: Path, capsys: object) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("uri,scheme,prefLabel@en\nhttp://example.org/x,nope,X\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 violation"):
        call_command("import_vocabulary", str(bad))
    assert not Concept.objects.filter(uri="http://example.org/x").exists()
