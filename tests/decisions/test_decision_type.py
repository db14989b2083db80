"""The decision record type: typed outlines, validation, the editor form and the record page
with paragraph anchors; citations of paragraphs from other records."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import translation

from clearinghouse.records import decisions
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.types import get_type
from clearinghouse.records.validation import validate
from tests.factories import valid_document
from tests.helpers import published, web

OUTLINE = """1. Adopts the framework;
9. Requests the Executive Secretary:
(a) To support Parties;
(b) To report progress:
(i) yearly;
(ii) online;
(c) To publish it.
"""


def test_outline_gives_nested_paragraphs_with_eids() -> None:
    tree = decisions.parse_outline(OUTLINE, "en")
    eids = [eid for eid, _d, _p in decisions.walk(tree)]
    assert eids == [
        "para_1",
        "para_9",
        "para_9__subpara_a",
        "para_9__subpara_b",
        "para_9__subpara_b__subpara_i",
        "para_9__subpara_b__subpara_ii",
        "para_9__subpara_c",  # (c) after (b) is a letter, not the roman numeral 100
    ]
    assert decisions.parse_outline(decisions.to_outline(tree, "en"), "en") == tree


def test_letter_i_after_h_is_a_letter() -> None:
    text = "1. x\n" + "".join(f"({c}) {c}\n" for c in "abcdefghi")
    tree = decisions.parse_outline(text, "en")
    assert [p["num"] for p in tree[0]["subparagraphs"]] == list("abcdefghi")


def test_outline_errors_name_the_line() -> None:
    with pytest.raises(decisions.OutlineError) as exc:
        decisions.parse_outline("Preamble text without number\n1. x", "en")
    assert exc.value.params == {"line": 1}
    with pytest.raises(decisions.OutlineError) as exc:
        decisions.parse_outline("(a) before any paragraph", "en")
    assert exc.value.message_id == decisions.MSG_OUTLINE_NESTING
    with pytest.raises(decisions.OutlineError) as exc:
        decisions.parse_outline("1. x\n1. again", "en")
    assert exc.value.params == {"label": "1"}


def test_languages_must_be_numbered_alike() -> None:
    with pytest.raises(decisions.OutlineError) as exc:
        decisions.merge_outlines({"en": "1. a\n2. b", "fr": "1. a\n3. b"})
    assert exc.value.params["label"] == "3"
    merged = decisions.merge_outlines({"en": "1. a\n(a) x", "fr": "1. A\n(a) X"})
    assert merged == [
        {
            "num": "1",
            "text": {"en": "a", "fr": "A"},
            "subparagraphs": [{"num": "a", "text": {"en": "x", "fr": "X"}}],
        }
    ]


@pytest.mark.django_db
def test_valid_decision_and_specific_errors() -> None:
    rtype = get_type("decision")
    assert validate(rtype, valid_document("decision")) == []
    doc = valid_document(
        "decision",
        treaty="UNFCCC",
        number="15.4",
        meetingCode="cop15",
        paragraphs=[{"num": "1", "text": {}}, {"num": "1", "text": {"en": "x"}, "extra": 1}],
    )
    with translation.override("en"):
        found = {(i.property, i.message()) for i in validate(rtype, doc)}
    assert ("treaty", "“UNFCCC” is not one of: CBD, CP, NP.") in found
    assert ("number", "“15.4” is not in the expected form (15/4).") in found
    assert ("meetingCode", "“cop15” is not in the expected form (COP-15).") in found
    assert ("paragraphs[0].text", "This field is required.") in found
    assert ("paragraphs[1].num", "Paragraph 1 appears twice.") in found
    assert any(p == "paragraphs[1].extra" for p, _m in found)


def _form_data(**extra: str) -> dict[str, str]:
    data = {
        "title__en": "Kunming-Montreal Global Biodiversity Framework",
        "treaty": "CBD",
        "meetingCode": "COP-15",
        "number": "15/4",
        "date": "2022-12-19",
        "status": "active",
        "paragraphs__en": OUTLINE,
    }
    data.update(extra)
    return data


def test_editor_form_saves_typed_paragraphs(central: Any, laila: Any) -> None:
    client = web("cbd.testserver", laila)
    response = client.post("/en/editor/new/decision/?languages=en", _form_data(action="save"))
    assert response.status_code == 302, response.content.decode()[:2000]
    from clearinghouse.records.models import Record

    record = Record.objects.get(schema="decision")
    tree = record.draft.document["paragraphs"]
    assert [e for e, _d, _p in decisions.walk(tree)][-1] == "para_9__subpara_c"
    # The form shows the outline again for editing.
    page = client.get(f"/en/editor/drafts/{record.uid}/").content.decode()
    assert "(ii) online;" in page


def test_editor_form_names_the_bad_line(central: Any, laila: Any) -> None:
    client = web("cbd.testserver", laila)
    data = _form_data(paragraphs__en="Preamble\n1. Adopts")
    page = client.post("/en/editor/new/decision/?languages=en", data).content.decode()
    assert "Line 1: start each paragraph with its number" in page
    from clearinghouse.records.models import Record

    assert not Record.objects.filter(schema="decision").exists()


def test_record_page_has_paragraph_anchors(central: Any, laila: Any) -> None:
    record = published(central, laila, "decision")
    page = web("cbd.testserver").get(f"/en/r/{record.uid}/").content.decode()
    assert 'id="para_9__subpara_b__subpara_ii"' in page
    assert 'href="#para_9__subpara_b"' in page
    assert "Requests the Executive Secretary:" in page
    assert f'href="/decisions/{record.uid}.akn.xml?lang=fr"' in page
    assert 'id="para-9-b-ii"' in page  # the short form of the anchor works too
    fr = web("cbd.testserver").get(f"/fr/r/{record.uid}/").content.decode()
    assert "Prie la Secrétaire :" in fr


# --- citations -----------------------------------------------------------------------------
def test_parse_typed_citations() -> None:
    assert decisions.parse_citation("15/16 para 9(b)") == ("15/16", "para_9__subpara_b")
    assert decisions.parse_citation("paragraph 9 (b) of decision 15/16") == (
        "15/16",
        "para_9__subpara_b",
    )
    assert decisions.parse_citation("CP-10/3, para. 2 (a) (ii)") == (
        "CP-10/3",
        "para_2__subpara_a__subpara_ii",
    )
    assert decisions.parse_citation("decision 15/4 paragraph 1") == ("15/4", "para_1")
    assert decisions.parse_citation("see the GBF") is None


def _cite(record: Any, eid: str) -> list[dict[str, str]]:
    return [{"identifier": record.uid, "paragraph": eid}]


def test_citation_is_validated(central: Any, laila: Any, benin: Any, jean: Any) -> None:
    decision = published(central, laila, "decision")
    rtype = get_type("resource")
    ok = valid_document("resource", decisionCitations=_cite(decision, "para_9__subpara_b"))
    assert validate(rtype, ok) == []
    with translation.override("en"):
        bad = valid_document("resource", decisionCitations=_cite(decision, "para_9__subpara_z"))
        assert [i.message() for i in validate(rtype, bad)] == [
            "Decision 15/4 has no paragraph 9 (z)."
        ]
        missing = valid_document(
            "resource",
            decisionCitations=[{"identifier": "central-000000000000", "paragraph": "para_1"}],
        )
        assert [i.message() for i in validate(rtype, missing)] == [
            "There is no published decision central-000000000000."
        ]


def test_typed_citation_in_form_resolves_or_explains(
    central: Any, laila: Any, benin: Any, amina: Any
) -> None:
    decision = published(central, laila, "decision")
    field = get_type("bbiRequest").field("decisionCitations")
    assert isinstance(field, decisions.Citations)
    value = field.from_form(
        {"decisionCitations": "15/4 para 9(b)\nparagraph 1 of decision 15/4"}, ["en"]
    )
    assert value == [
        {"identifier": decision.uid, "paragraph": "para_9__subpara_b"},
        {"identifier": decision.uid, "paragraph": "para_1"},
    ]
    assert field.to_initial(value, ["en"]) == {"decisionCitations": "15/4 para 9(b)\n15/4 para 1"}
    unresolved = field.from_form(
        {"decisionCitations": "15/99 para 1\n15/4 para 7\nsee GBF"}, ["en"]
    )
    rtype = get_type("bbiRequest")
    with translation.override("en"):
        messages = [
            i.message()
            for i in validate(rtype, valid_document("bbiRequest", decisionCitations=unresolved))
        ]
    assert messages == [
        "There is no published decision 15/99.",
        "Decision 15/4 has no paragraph 7.",
        "“see GBF” is not a citation: write e.g. “15/16 para 9(b)” or "
        "“paragraph 9 (b) of decision 15/16”.",
    ]
    # Through the editor: the error is shown and nothing is saved.
    client = web("bj.testserver", amina)
    page = client.post(
        "/en/editor/new/resource/?languages=en",
        {"title__en": "Guide", "decisionCitations": "15/99 para 1", "action": "save"},
    ).content.decode()
    assert "There is no published decision 15/99." in page


def test_citing_record_links_to_anchor_and_decision_lists_it(
    central: Any, laila: Any, benin: Any, jean: Any
) -> None:
    decision = published(central, laila, "decision")
    citing = published(
        benin, jean, "resource", decisionCitations=_cite(decision, "para_9__subpara_b")
    )
    page = web("bj.testserver").get(f"/en/r/{citing.uid}/").content.decode()
    link = re.search(
        r'<a href="([^"]+)" title="([^"]*)">paragraph 9 \(b\) of decision 15/4</a>', page
    )
    assert link is not None, page
    assert link.group(1) == f"//cbd.testserver/en/r/{decision.uid}/#para_9__subpara_b"
    assert link.group(2) == "To report progress;"
    # The decision page lists the citing record under that paragraph (not under others).
    page = web("cbd.testserver").get(f"/en/r/{decision.uid}/").content.decode()
    para = page.split('id="para_9__subpara_b"', 1)[1].split('id="para_9__subpara_b__subpara_i"', 1)[
        0
    ]
    assert "Cited by 1 record" in para
    assert f"//bj.testserver/en/r/{citing.uid}/" in para
    assert "Mangrove restoration guide" in para
    first = page.split('id="para_1"', 1)[1].split('id="para_9"', 1)[0]
    assert "Cited by" not in first


def test_decision_page_is_not_served_stale_from_cache(
    central: Any, laila: Any, benin: Any, jean: Any
) -> None:
    decision = published(central, laila, "decision")
    client = web("cbd.testserver")
    assert "Cited by" not in client.get(f"/en/r/{decision.uid}/").content.decode()
    published(benin, jean, "resource", decisionCitations=_cite(decision, "para_1"))
    assert "Cited by 1 record" in client.get(f"/en/r/{decision.uid}/").content.decode()


def test_publishing_a_citation_of_a_missing_paragraph_is_refused(
    central: Any, laila: Any, benin: Any, jean: Any
) -> None:
    decision = published(central, laila, "decision")
    with pytest.raises(RecordInvalid):
        published(benin, jean, "resource", decisionCitations=_cite(decision, "para_2"))


def test_long_cited_by_lists_are_capped_and_counted(central: Any, laila: Any) -> None:
    from clearinghouse.web.decision_page import MAX_LISTED
    from tests.federation.conftest import add_records

    decision = published(central, laila, "decision")
    add_records(central, MAX_LISTED + 2, "resource", decisionCitations=_cite(decision, "para_1"))
    page = web("cbd.testserver").get(f"/en/r/{decision.uid}/").content.decode()
    para = page.split('id="para_1"', 1)[1].split('id="para_9"', 1)[0]
    assert f"Cited by {MAX_LISTED + 2} records" in para
    assert para.count("Mangrove restoration guide") == MAX_LISTED
    assert "and 2 more" in para
