"""Public pages and editor forms as a reader sees them: languages, right-to-left, fallback
notes, record pages, history and diffs, browsing, and form errors next to their fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.publication import request_publication
from tests.factories import valid_document
from tests.helpers import draft, published, web

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh"]


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# --- languages ----------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_pages_render_in_every_language(benin: Any, jean: Any, lang: str) -> None:
    record = published(benin, jean, "resource")
    client = web("bj.testserver")
    paths = [
        f"/{lang}/",
        f"/{lang}/network/",
        f"/{lang}/records/resource/",
        f"/{lang}/r/{record.uid}/",
        f"/{lang}/accounts/login/",
    ]
    for path in paths:
        page = _html(client.get(path))
        assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page, path
        # The language switcher points at the same page in the other languages.
        for other in LANGUAGES:
            assert f'href="/{other}/{path.split("/", 2)[2]}"' in page


@pytest.mark.parametrize("schema", list(RECORD_TYPES))
def test_every_record_type_can_be_browsed_and_read(benin: Any, jean: Any, schema: str) -> None:
    record = published(benin, jean, schema)
    client = web("bj.testserver")
    assert record.uid in _html(client.get(f"/en/records/{schema}/"))
    page = _html(client.get(f"/en/r/{record.uid}/"))
    assert record.uid in page


def test_arabic_pages_are_right_to_left(benin: Any) -> None:
    page = _html(web("bj.testserver").get("/ar/"))
    assert '<html lang="ar" dir="rtl">' in page
    assert '<html lang="en" dir="ltr">' in _html(web("bj.testserver").get("/en/"))


def test_unknown_language_prefix_is_404(benin: Any) -> None:
    assert web("bj.testserver").get("/de/").status_code == 404


# --- record page --------------------------------------------------------------------------
def test_record_page_shows_fields_with_vocabulary_labels(benin: Any, jean: Any) -> None:
    record = published(benin, jean, "resource")
    page = _html(web("bj.testserver").get(f"/fr/r/{record.uid}/"))
    assert "Guide de restauration des mangroves" in page
    assert "Un guide pratique." in page
    assert "A. Author" in page
    assert "Orientations" in page  # RT-GUIDANCE in French
    assert "RT-GUIDANCE" not in page
    assert "This record is not available in your language" not in page
    english = _html(web("bj.testserver").get(f"/en/r/{record.uid}/"))
    assert "Mangrove restoration guide" in english
    assert "Guidance" in english


def test_missing_translation_falls_back_visibly(benin: Any, jean: Any) -> None:
    record = published(benin, jean, "nbsap")  # written in French only
    page = _html(web("bj.testserver").get(f"/en/r/{record.uid}/"))
    assert re.search(r'<h1 lang="fr">(<bdi>)?SPANB 2025-2030', page)
    assert "This record is not available in your language; it is shown in French." in page
    browse = _html(web("bj.testserver").get("/en/records/nbsap/"))
    assert "not translated; shown in French" in browse
    assert re.search(r'lang="fr"[^>]*>SPANB 2025-2030</a>', browse)
    # Fields missing in the reader's language are marked too.
    record = published(benin, jean, "resource", summary={"fr": "Un guide pratique."})
    page = _html(web("bj.testserver").get(f"/en/r/{record.uid}/"))
    assert re.search(r'lang="fr">Un guide pratique\.(</bdi>)? <span class="fallback">', page)
    assert "(shown in French)" in page
    # Text in the reader's language needs no note.
    assert 'class="fallback"' not in _html(web("bj.testserver").get(f"/fr/r/{record.uid}/"))


def test_unpublished_and_unknown_records_are_404(benin: Any, amina: Any) -> None:
    client = web("bj.testserver")
    assert client.get(f"/en/r/{draft(benin, amina).uid}/").status_code == 404
    assert client.get("/en/r/bj-nope/").status_code == 404
    assert client.get("/en/records/recipe/").status_code == 404


# --- history and diff ------------------------------------------------------------------
def _publish_twice(benin: Any, amina: Any, jean: Any) -> Record:
    record = published(benin, jean, "resource")
    services.edit_published(record, amina)
    services.update_draft(
        record,
        amina,
        valid_document(
            "resource",
            title={"fr": "Guide de restauration des mangroves", "en": "Mangrove recovery guide"},
            authors="A. Author & B. Author",
        ),
    )
    services.publish(record, jean)
    record.refresh_from_db()
    return record


def test_revision_history_after_two_publications(benin: Any, amina: Any, jean: Any) -> None:
    record = _publish_twice(benin, amina, jean)
    client = web("bj.testserver")
    page = _html(client.get(f"/en/r/{record.uid}/"))
    assert "Revision 2" in page
    assert "Mangrove recovery guide" in page
    assert f'href="/en/r/{record.uid}/revisions/"' in page
    history = _html(client.get(f"/en/r/{record.uid}/revisions/"))
    assert re.search(r"<td>2</td>.*<td>jean</td>", history)
    assert re.search(r"<td>1</td>.*<td>jean</td>", history)
    assert f'href="/en/r/{record.uid}/diff/1/2/"' in history


def test_diff_view_shows_what_changed(benin: Any, amina: Any, jean: Any) -> None:
    record = _publish_twice(benin, amina, jean)
    page = _html(web("bj.testserver").get(f"/en/r/{record.uid}/diff/1/2/"))
    assert "Changes from revision 1 to 2" in page
    assert "<del>restoration</del> <ins>recovery</ins>" in page
    assert "<ins>&amp; B. Author</ins>" in page
    assert "Title (fr)" not in page  # unchanged text is not listed
    assert web("bj.testserver").get(f"/en/r/{record.uid}/diff/1/3/").status_code == 404


def test_record_with_one_revision_has_no_history_link(benin: Any, jean: Any) -> None:
    record = published(benin, jean, "resource")
    assert "/revisions/" not in _html(web("bj.testserver").get(f"/en/r/{record.uid}/"))


# --- browsing -----------------------------------------------------------------------------
def test_browse_is_paginated(benin: Any, jean: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_PAGE_SIZE = 2
    for n in range(5):
        published(benin, jean, "news", title={"en": f"Item {n}"})
    client = web("bj.testserver")
    first = _html(client.get("/en/records/news/"))
    assert "5 records" in first
    assert "Page 1 of 3" in first
    assert 'href="?page=2"' in first
    assert "Previous" not in first
    assert first.count('<li>\n<a href="/en/r/') == 2
    assert "Item 4" in first  # newest first
    last = _html(client.get("/en/records/news/?page=3"))
    assert "Page 3 of 3" in last
    assert "Item 0" in last
    assert "Next" not in last
    assert last.count('<li>\n<a href="/en/r/') == 1
    # A page number out of range shows the last page instead of an error.
    assert "Page 3 of 3" in _html(client.get("/en/records/news/?page=99"))


def test_home_page_counts_and_latest(benin: Any, jean: Any, amina: Any) -> None:
    published(benin, jean, "news", title={"en": "Fresh news"})
    draft(benin, amina, "news", title={"en": "Secret draft"})
    page = _html(web("bj.testserver").get("/en/"))
    assert "Fresh news" in page
    assert "Secret draft" not in page
    assert re.search(r'href="/en/records/news/">News</a> <span class="meta">\(1\)', page)


# --- forms -------------------------------------------------------------------------------
def _error_next_to(page: str, field_id: str) -> str:
    match = re.search(
        rf'<label for="{field_id}">[^<]*</label>\s*<(\w+) id="{field_id}-err">(.*?)</\1>',
        page,
        re.S,
    )
    assert match is not None, f"no error next to {field_id}"
    return match.group(2)


def test_new_record_asks_for_languages_first(benin: Any, amina: Any) -> None:
    page = _html(web("bj.testserver", amina).get("/fr/editor/new/resource/"))
    assert 'name="languages"' in page
    form = _html(web("bj.testserver", amina).get("/fr/editor/new/resource/?languages=fr"))
    assert 'name="title__fr"' in form
    assert 'name="title__en"' not in form


def test_form_shows_shape_errors_next_to_fields(benin: Any, amina: Any) -> None:
    client = web("bj.testserver", amina)
    response = client.post(
        "/en/editor/new/resource/?languages=fr",
        {"action": "save", "title__fr": "Guide", "publicationDate": "31/01/2025"},
    )
    page = _html(response)
    assert "Please correct the fields marked below." in page
    assert "YYYY-MM-DD" in _error_next_to(page, "id_publicationDate")
    assert 'value="Guide"' in page  # what was typed is kept
    assert not Record.objects.exists()


def test_request_publication_of_incomplete_draft_marks_missing_fields(
    benin: Any, amina: Any
) -> None:
    client = web("bj.testserver", amina)
    response = client.post(
        "/en/editor/new/resource/?languages=fr",
        {"action": "request", "title__fr": "Guide", "authors": "A. Author"},
        follow=True,
    )
    page = _html(response)
    # The draft is kept, and the fields still to fill in are marked.
    record = Record.objects.get()
    assert Draft.objects.get(record=record).document["title"] == {"fr": "Guide"}
    assert not Request.objects.exists()
    assert "cannot be published yet" in page
    assert "This field is required." in _error_next_to(page, "id_organizations")
    assert "This field is required." in _error_next_to(page, "id_summary__fr")
    assert 'id="id_title__fr-err"' not in page


def test_complete_form_requests_publication(benin: Any, amina: Any, jean: Any) -> None:
    client = web("bj.testserver", amina)
    response = client.post(
        "/en/editor/new/news/?languages=en",
        {
            "action": "request",
            "title__en": "Portal launched",
            "date": "2026-01-15",
            "body__en": "The portal is live.",
            "note": "Please publish",
        },
        follow=True,
    )
    assert "Publication requested." in _html(response)
    request = Request.objects.get()
    assert request.note == "Please publish"
    queue = _html(web("bj.testserver", jean).get("/en/editor/reviews/"))
    assert "Portal launched" in queue
    assert "Please publish" in queue


def test_editor_form_round_trips_a_draft(benin: Any, amina: Any) -> None:
    record = draft(benin, amina, "event")
    client = web("bj.testserver", amina)
    page = _html(client.get(f"/en/editor/drafts/{record.uid}/"))
    assert 'value="Regional NBSAP dialogue"' in page
    assert 'value="2026-03-02"' in page
    response = client.post(
        f"/en/editor/drafts/{record.uid}/",
        {
            "action": "save",
            "title__en": "Regional NBSAP dialogue (2nd)",
            "eventType": "ET-WORKSHOP",
            "startDate": "2026-03-02",
            "endDate": "2026-03-01",
        },
    )
    # End before start is a shape error: shown next to the end date, nothing saved.
    page = _html(response)
    assert "must not be before" in _error_next_to(page, "id_endDate")
    assert Draft.objects.get(record=record).document["endDate"] == "2026-03-04"


def test_checking_a_draft_keeps_its_values(benin: Any, amina: Any) -> None:
    record = services.create_draft(
        benin,
        amina,
        "resource",
        valid_document("resource", summary=None, authors=None),
        strict=False,
    )
    page = _html(web("bj.testserver", amina).get(f"/en/editor/drafts/{record.uid}/?check=1"))
    assert "This field is required." in _error_next_to(page, "id_authors")
    assert "This field is required." in _error_next_to(page, "id_summary__fr")
    assert 'value="Mangrove restoration guide"' in page
    assert re.search(r'<option value="GBF-TARGET-02"[^>]*selected>', page)
    # Without ?check the form opens quietly.
    quiet = _html(web("bj.testserver", amina).get(f"/en/editor/drafts/{record.uid}/"))
    assert "This field is required." not in quiet


def test_text_from_records_is_escaped_everywhere(benin: Any, amina: Any, jean: Any) -> None:
    evil = '<script>alert("x")</script>'
    record = published(benin, jean, "news", title={"en": f"News {evil}"}, body={"en": evil})
    services.edit_published(record, amina)
    services.update_draft(
        record, amina, valid_document("news", title={"en": "News"}, body={"en": f"{evil} 2"})
    )
    services.publish(record, jean)
    client = web("bj.testserver")
    for path in [
        f"/en/r/{record.uid}/",
        "/en/records/news/",
        "/en/",
        f"/en/r/{record.uid}/diff/1/2/",
    ]:
        page = _html(client.get(path))
        assert "<script>" not in page, path
    assert "&lt;script&gt;" in _html(client.get(f"/en/r/{record.uid}/diff/1/2/"))


def test_dashboard_lists_my_drafts_and_requests(benin: Any, amina: Any) -> None:
    mine = draft(benin, amina, "news", title={"en": "My own news"})
    sent = draft(benin, amina, "event")
    request_publication(sent, amina)
    page = _html(web("bj.testserver", amina).get("/en/editor/"))
    assert "My own news" in page
    assert f'href="/en/editor/drafts/{mine.uid}/"' in page
    assert "under review" in page
    assert f"<code>{sent.uid}</code>" in page
    assert "Authorized user" in page  # my role on this portal


def test_pages_list_published_contacts(benin: Any, amina: Any) -> None:
    contact = draft(benin, amina, "contact")  # contacts are published on save
    for path in ["/en/", "/en/records/contact/", "/ar/records/contact/"]:
        page = _html(web("bj.testserver").get(path))
        assert f'href="/{path[1:3]}/r/{contact.uid}/"' in page
        assert "Amina Sow" in page
