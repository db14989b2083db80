"""Files attached to records: checked before storing, stored safely, served carefully."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clearinghouse.portals.models import Role
from clearinghouse.records import services
from clearinghouse.records.models import Attachment
from clearinghouse.workflows import engine
from clearinghouse.workflows.publication import request_deletion, request_publication
from tests.factories import make_user
from tests.helpers import draft, web

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _attach(user: Any, record: Any, name: str, content: bytes, host: str = "bj.testserver") -> Any:
    return web(host, user).post(
        f"/en/editor/drafts/{record.uid}/attach/",
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def _stored_files(settings: Any) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_pdf_is_stored_under_a_random_name(benin: Any, amina: Any, settings: Any) -> None:
    record = draft(benin, amina)
    response = _attach(amina, record, "Rapport annuel 2025.PDF", PDF)
    assert "File attached." in response.content.decode()
    item = Attachment.objects.get(record=record)
    assert item.filename == "Rapport annuel 2025.PDF"
    assert item.content_type == "application/pdf"
    assert item.size == len(PDF)
    assert re.fullmatch(r"attachments/bj/[0-9a-f]{32}\.pdf", item.file.name)
    [stored] = _stored_files(settings)
    assert stored.read_bytes() == PDF
    assert "Rapport" not in stored.name
    # The editor lists the file.
    assert "Rapport annuel 2025.PDF" in response.content.decode()


def test_two_uploads_with_the_same_name_do_not_overwrite(
    benin: Any, amina: Any, settings: Any
) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "guide.pdf", PDF)
    _attach(amina, record, "guide.pdf", PDF + b"v2")
    assert sorted(p.read_bytes() for p in _stored_files(settings)) == [PDF, PDF + b"v2"]


def test_uploaded_name_cannot_choose_the_path(benin: Any, amina: Any, settings: Any) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "../../../etc/cron.d/evil.pdf", PDF)
    item = Attachment.objects.get(record=record)
    assert item.filename == "evil.pdf"
    [stored] = _stored_files(settings)
    assert Path(settings.MEDIA_ROOT).resolve() in stored.resolve().parents


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>", "is not really a .pdf file"),
        ("photo.png", b"GIF89a" + b"\x00" * 20, "is not really a .png file"),
        ("data.xlsx", PDF, "is not really a .xlsx file"),
        ("notes.csv", "café".encode("latin-1") * 100, "is not UTF-8 text"),
        ("tool.exe", b"MZ\x90\x00", "are not accepted"),
        ("page.html", b"<html></html>", "are not accepted"),
        ("noextension", PDF, "are not accepted"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_file_is_refused_and_nothing_is_stored(
    benin: Any, amina: Any, settings: Any, name: str, content: bytes, message: str
) -> None:
    record = draft(benin, amina)
    response = _attach(amina, record, name, content)
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_size_limit(benin: Any, amina: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_MAX_ATTACHMENT_MB = 1
    record = draft(benin, amina)
    too_big = PDF + b"0" * (1024 * 1024)
    response = _attach(amina, record, "big.pdf", too_big)
    assert "the limit is 1 MB" in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []
    just_right = PDF + b"0" * (1024 * 1024 - len(PDF))
    _attach(amina, record, "ok.pdf", just_right)
    assert Attachment.objects.get().size == 1024 * 1024


@pytest.mark.parametrize(
    ("name", "content"), [("scan.png", PNG), ("list.csv", "nom,pays\nAmina,Bénin\n".encode())]
)
def test_other_accepted_types(benin: Any, amina: Any, name: str, content: bytes) -> None:
    record = draft(benin, amina)
    _attach(amina, record, name, content)
    assert Attachment.objects.get(record=record).filename == name


def test_only_editors_of_the_portal_may_upload(benin: Any, peru: Any, amina: Any) -> None:
    record = draft(benin, amina)
    reader = make_user(benin, Role.READER)
    outsider = make_user(peru, Role.MANAGER)
    assert _attach(reader, record, "a.pdf", PDF).status_code == 404
    assert _attach(outsider, record, "a.pdf", PDF).status_code == 404
    anonymous = web("bj.testserver").post(
        f"/en/editor/drafts/{record.uid}/attach/", {"file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert anonymous.status_code == 302
    assert not Attachment.objects.exists()


# --- download ----------------------------------------------------------------------------
def _download(item: Attachment, user: Any = None, host: str = "bj.testserver") -> Any:
    return web(host, user).get(f"/en/files/{item.pk}/")


def test_public_record_file_is_downloadable_as_an_attachment(
    benin: Any, amina: Any, jean: Any
) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "Guide été.pdf", PDF)
    services.publish(record, jean)
    item = Attachment.objects.get()
    response = _download(item)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Guide" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    # The record page links the file.
    page = web("bj.testserver").get(f"/en/r/{record.uid}/").content.decode()
    assert f"/en/files/{item.pk}/" in page


def test_draft_file_is_for_editors_only(benin: Any, peru: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "secret.pdf", PDF)
    item = Attachment.objects.get()
    assert _download(item).status_code == 404
    assert _download(item, make_user(benin, Role.READER)).status_code == 404
    assert _download(item, make_user(peru, Role.MANAGER)).status_code == 404
    assert _download(item, make_user(peru, Role.MANAGER), "pe.testserver").status_code == 404
    assert _download(item, amina).status_code == 200
    assert _download(item, jean).status_code == 200


def test_file_of_public_record_is_not_served_on_another_portal(
    benin: Any, peru: Any, amina: Any, jean: Any
) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "guide.pdf", PDF)
    services.publish(record, jean)
    assert _download(Attachment.objects.get(), host="pe.testserver").status_code == 404


def test_file_of_deleted_record_is_withdrawn(benin: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    _attach(amina, record, "guide.pdf", PDF)
    services.publish(record, jean)
    record.refresh_from_db()
    engine.perform(request_deletion(record, amina), "approve", jean)
    item = Attachment.objects.get()
    assert _download(item).status_code == 404
    assert _download(item, jean).status_code == 200


def test_no_files_while_the_draft_is_under_review(benin: Any, amina: Any, settings: Any) -> None:
    record = draft(benin, amina)
    request_publication(record, amina)
    response = _attach(amina, record, "late.pdf", PDF)
    assert "Files can only be added to a draft" in response.content.decode()
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []


def test_no_files_on_a_published_record_without_review(
    benin: Any, amina: Any, jean: Any, settings: Any
) -> None:
    record = draft(benin, jean)
    services.publish(record, jean)
    # No draft is open: a file would go public without anyone reviewing it.
    _attach(amina, record, "unreviewed.pdf", PDF)
    assert not Attachment.objects.exists()
    assert _stored_files(settings) == []
    page = web("bj.testserver").get(f"/en/r/{record.uid}/").content.decode()
    assert "unreviewed.pdf" not in page
