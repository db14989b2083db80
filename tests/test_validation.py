"""Validation of every record type: good documents pass, each kind of mistake is reported
with the CBD error code, the field it concerns and a readable message."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from clearinghouse.records import errors as E
from clearinghouse.records import services
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.fields import Bool, Date, DateOrder, LString, Term, Text
from clearinghouse.records.models import Record
from clearinghouse.records.types import RECORD_TYPES, get_type
from clearinghouse.records.validation import validate
from tests.factories import VALID, valid_document

pytestmark = pytest.mark.django_db

SCHEMAS = list(RECORD_TYPES)


def check(portal: Any, schema: str, document: dict[str, Any]) -> list[E.Issue]:
    """What a user would be told when saving ``document`` on ``portal``."""
    doc = services.normalise(schema, document, portal)
    return validate(get_type(schema), doc, portal)


def codes(issues: list[E.Issue]) -> set[tuple[str, str]]:
    return {(i.code, i.property) for i in issues}


def _fields(kind: type, required: bool | None = None) -> list[tuple[str, str]]:
    return [
        (schema, f.name)
        for schema, rtype in RECORD_TYPES.items()
        for f in rtype.fields
        if isinstance(f, kind) and (required is None or f.required == required)
    ]


def test_every_record_type_has_a_valid_example() -> None:
    assert set(VALID) == set(RECORD_TYPES)


@pytest.mark.parametrize("schema", SCHEMAS)
def test_valid_document_passes_and_can_be_saved(benin: Any, amina: Any, schema: str) -> None:
    assert check(benin, schema, valid_document(schema)) == []
    record = services.create_draft(benin, amina, schema, valid_document(schema))
    assert Record.objects.filter(uid=record.uid).exists()


@pytest.mark.parametrize(
    ("schema", "name"),
    [(s, f.name) for s, t in RECORD_TYPES.items() for f in t.fields if f.required],
)
def test_missing_mandatory_field_is_named(benin: Any, schema: str, name: str) -> None:
    doc = valid_document(schema)
    doc.pop(name, None)
    issues = check(benin, schema, doc)
    assert codes(issues) == {(E.MANDATORY, name)}
    with translation.override("en"):
        assert issues[0].message() == "This field is required."


@pytest.mark.parametrize(("schema", "name"), [(s, n) for s, n in _fields(LString, True)])
def test_blank_text_in_every_language_counts_as_missing(benin: Any, schema: str, name: str) -> None:
    languages = VALID[schema]["header"]["languages"]
    doc = valid_document(schema, **{name: {lang: "" for lang in languages}})
    assert (E.MANDATORY, name) in codes(check(benin, schema, doc))


def test_strict_save_is_refused_and_nothing_is_stored(benin: Any, amina: Any) -> None:
    with pytest.raises(RecordInvalid) as exc:
        services.create_draft(benin, amina, "resource", valid_document("resource", title=None))
    assert (E.MANDATORY, "title") in codes(exc.value.issues)
    assert not Record.objects.exists()


def test_incomplete_draft_may_be_saved_but_not_a_malformed_one(benin: Any, amina: Any) -> None:
    record = services.create_draft(
        benin, amina, "resource", {"header": {"languages": ["fr"]}}, strict=False
    )
    assert record.draft.document["header"]["languages"] == ["fr"]
    with pytest.raises(RecordInvalid) as exc:
        services.create_draft(
            benin,
            amina,
            "resource",
            {"header": {"languages": ["fr"]}, "publicationDate": "hier"},
            strict=False,
        )
    assert codes(exc.value.issues) == {(E.INVALID_VALUE, "publicationDate")}


@pytest.mark.parametrize(("schema", "name"), _fields(Date))
@pytest.mark.parametrize("bad", ["31/01/2025", "2025-02-30", "2025-1-5", "soon", 20250101])
def test_bad_date(benin: Any, schema: str, name: str, bad: Any) -> None:
    issues = check(benin, schema, valid_document(schema, **{name: bad}))
    assert (E.INVALID_VALUE, name) in codes(issues)
    with translation.override("en"):
        assert "YYYY-MM-DD" in next(i.message() for i in issues if i.property == name)


@pytest.mark.parametrize(
    "schema", [s for s, t in RECORD_TYPES.items() if any(isinstance(r, DateOrder) for r in t.rules)]
)
def test_end_date_before_start_date(benin: Any, schema: str) -> None:
    rule = next(r for r in get_type(schema).rules if isinstance(r, DateOrder))
    doc = valid_document(schema, **{rule.start: "2025-06-02", rule.end: "2025-06-01"})
    issues = check(benin, schema, doc)
    assert codes(issues) == {(E.INVALID_VALUE, rule.end)}
    with translation.override("en"):
        assert issues[0].message() == "The end date must not be before the start date."
    same_day = valid_document(schema, **{rule.start: "2025-06-02", rule.end: "2025-06-02"})
    assert check(benin, schema, same_day) == []


@pytest.mark.parametrize(("schema", "name"), _fields(Term))
def test_unknown_term(benin: Any, schema: str, name: str) -> None:
    fld = get_type(schema).field(name)
    assert isinstance(fld, Term)
    value: Any = {"identifier": "NO-SUCH-TERM"}
    issues = check(
        benin, schema, valid_document(schema, **{name: [value] if fld.multiple else value})
    )
    assert codes(issues) == {(E.UNEXPECTED_TERM, name)}
    with translation.override("en"):
        message = issues[0].message()
    assert "NO-SUCH-TERM" in message
    assert fld.scheme in message


def test_unknown_gbf_target_in_alignment(benin: Any) -> None:
    doc = valid_document("nationalTarget7", globalTargetAlignment=[{"identifier": "GBF-TARGET-99"}])
    assert codes(check(benin, "nationalTarget7", doc)) == {
        (E.UNEXPECTED_TERM, "globalTargetAlignment")
    }


def test_term_of_another_vocabulary_is_unexpected(benin: Any) -> None:
    # A real concept, but of the countries list, not of the resource types.
    doc = valid_document("resource", resourceTypes=[{"identifier": "bj"}])
    assert codes(check(benin, "resource", doc)) == {(E.UNEXPECTED_TERM, "resourceTypes")}


@pytest.mark.parametrize("schema", SCHEMAS)
def test_unknown_field(benin: Any, schema: str) -> None:
    issues = check(benin, schema, valid_document(schema, colour="green"))
    assert codes(issues) == {(E.INVALID_PROPERTY, "colour")}
    with translation.override("en"):
        assert schema in issues[0].message()


@pytest.mark.parametrize(("schema", "name"), _fields(LString))
def test_text_in_a_language_not_declared(benin: Any, schema: str, name: str) -> None:
    doc = valid_document(schema)
    doc[name] = {**(doc.get(name) or {}), "zh": "中文"}
    issues = check(benin, schema, doc)
    assert codes(issues) == {(E.UNSPECIFIED_LOCALE, f"{name}.zh")}
    with translation.override("en"):
        assert "zh" in issues[0].message()


def test_text_in_a_language_not_declared_inside_building_blocks(benin: Any) -> None:
    blocks = [{"title": {"en": "Mapping", "ar": "رسم"}, "description": {"en": "Participatory."}}]
    issues = check(benin, "caseStudy", valid_document("caseStudy", buildingBlocks=blocks))
    assert codes(issues) == {(E.UNSPECIFIED_LOCALE, "buildingBlocks[0].title.ar")}


def test_building_block_without_description(benin: Any) -> None:
    blocks = [{"title": {"en": "Mapping"}}]
    issues = check(benin, "caseStudy", valid_document("caseStudy", buildingBlocks=blocks))
    assert codes(issues) == {(E.MANDATORY, "buildingBlocks[0].description")}


@pytest.mark.parametrize("bad", [[], None, ["xx"], "fr"])
def test_record_languages_must_be_un_languages(benin: Any, bad: Any) -> None:
    doc = valid_document("news", header={"languages": bad})
    issues = check(benin, "news", doc)
    assert any(i.property == "header.languages" for i in issues)


@pytest.mark.parametrize(("schema", "name"), _fields(LString))
def test_plain_string_where_text_per_language_is_expected(
    benin: Any, schema: str, name: str
) -> None:
    issues = check(benin, schema, valid_document(schema, **{name: "just text"}))
    assert codes(issues) == {(E.INVALID_TYPE, name)}


@pytest.mark.parametrize(("schema", "name"), _fields(Text))
def test_number_where_text_is_expected(benin: Any, schema: str, name: str) -> None:
    assert codes(check(benin, schema, valid_document(schema, **{name: 42}))) == {
        (E.INVALID_TYPE, name)
    }


@pytest.mark.parametrize(("schema", "name"), _fields(Bool))
def test_text_where_yes_or_no_is_expected(benin: Any, schema: str, name: str) -> None:
    assert codes(check(benin, schema, valid_document(schema, **{name: "yes"}))) == {
        (E.INVALID_TYPE, name)
    }


@pytest.mark.parametrize(("schema", "name"), [(s, n) for s, n in _fields(Term)])
def test_term_given_as_plain_text(benin: Any, schema: str, name: str) -> None:
    issues = check(benin, schema, valid_document(schema, **{name: "GBF-TARGET-02"}))
    assert codes(issues) == {(E.INVALID_TYPE, name)}


def test_document_that_is_not_an_object_is_refused(benin: Any) -> None:
    assert codes(validate(get_type("news"), ["not", "an", "object"], benin)) == {
        (E.INVALID_TYPE, "")
    }


@pytest.mark.parametrize("bad", ["a lot", -5, True])
def test_budget_must_be_a_positive_number(benin: Any, bad: Any) -> None:
    doc = valid_document("capacityBuildingInitiative", totalBudget=bad)
    assert codes(check(benin, "capacityBuildingInitiative", doc)) == {
        (E.INVALID_VALUE, "totalBudget")
    }


def test_bad_email_and_link_are_reported_by_position(benin: Any) -> None:
    doc = valid_document("organization", emails=["ok@example.org", "not-an-address"])
    assert codes(check(benin, "organization", doc)) == {(E.INVALID_VALUE, "emails[1]")}
    doc = valid_document("resource", resourceLinks=[{"url": "ftp://example.org/x"}])
    assert codes(check(benin, "resource", doc)) == {(E.INVALID_VALUE, "resourceLinks[0]")}


@pytest.mark.parametrize(
    ("schema", "name", "limit"),
    [
        (s, f.name, f.max_words)
        for s, t in RECORD_TYPES.items()
        for f in t.fields
        if isinstance(f, LString) and f.max_words
    ],
)
def test_word_limit(benin: Any, schema: str, name: str, limit: int) -> None:
    lang = VALID[schema]["header"]["languages"][0]
    at_limit = valid_document(schema, **{name: {lang: " ".join(["mot"] * limit)}})
    assert check(benin, schema, at_limit) == []
    over = valid_document(schema, **{name: {lang: " ".join(["mot"] * (limit + 1))}})
    issues = check(benin, schema, over)
    assert codes(issues) == {(E.INVALID_VALUE, f"{name}.{lang}")}
    with translation.override("en"):
        assert issues[0].message() == (f"Use at most {limit} words (this text has {limit + 1}).")


def test_character_limit(benin: Any) -> None:
    issues = check(benin, "organization", valid_document("organization", acronym="A" * 41))
    assert codes(issues) == {(E.INVALID_VALUE, "acronym")}
    with translation.override("en"):
        assert issues[0].message() == "Use at most 40 characters (this text has 41)."


def test_national_record_belongs_to_the_portals_country(benin: Any, peru: Any) -> None:
    doc = valid_document("nbsap", government={"identifier": "pe"})
    assert codes(check(benin, "nbsap", doc)) == {(E.INVALID_VALUE, "government")}
    # Without a government, the portal's country is filled in.
    assert services.normalise("nbsap", valid_document("nbsap"), benin)["government"] == {
        "identifier": "bj"
    }


def test_every_problem_is_reported_at_once(benin: Any) -> None:
    doc = valid_document(
        "event", title=None, eventType={"identifier": "NOPE"}, endDate="2020-01-01", extra=1
    )
    assert codes(check(benin, "event", doc)) == {
        (E.MANDATORY, "title"),
        (E.UNEXPECTED_TERM, "eventType"),
        (E.INVALID_VALUE, "endDate"),
        (E.INVALID_PROPERTY, "extra"),
    }


@pytest.mark.parametrize("language", ["en", "fr", "es", "ar", "ru", "zh"])
def test_messages_are_readable_in_every_interface_language(benin: Any, language: str) -> None:
    """Messages are rendered in the reader's language (English where no catalog exists):
    never a bare message id with unfilled placeholders."""
    doc = valid_document("resource", summary={"fr": "x " * 301}, colour=1, title=None)
    with translation.override(language):
        messages = [i.as_cbd()["message"] for i in check(benin, "resource", doc)]
    assert len(messages) == 3
    for message in messages:
        assert message.strip()
        assert "%(" not in message


def test_cbd_error_format(benin: Any) -> None:
    exc = RecordInvalid(check(benin, "news", valid_document("news", date="x")), "bj-123")
    with translation.override("en"):
        body = exc.as_cbd()
    assert body == {
        "identifier": "bj-123",
        "errors": [
            {
                "code": "Error.InvalidValue",
                "property": "date",
                "message": "Enter a valid date in the form YYYY-MM-DD.",
            }
        ],
    }


def test_nul_characters_are_refused_with_their_place(benin: Any, amina: Any) -> None:
    """PostgreSQL cannot store NUL; the user is told where it is instead of a server error."""
    bad = valid_document("resource", title={"fr": "Guide\x00", "en": "Guide"})
    with pytest.raises(RecordInvalid) as caught:
        services.create_draft(benin, amina, "resource", bad)
    assert ("Error.InvalidValue", "title.fr") in {(i.code, i.property) for i in caught.value.issues}


def test_nul_in_an_address_is_a_bad_request(client: Any, benin: Any) -> None:
    assert client.get("/api/records/bj-%00x", HTTP_HOST="bj.testserver").status_code == 400
    assert (
        client.get("/en/records/resource/?page=%00", HTTP_HOST="bj.testserver").status_code == 400
    )
