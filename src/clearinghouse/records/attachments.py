"""Attachments: checked for size and real type before anything is stored."""

from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from clearinghouse.portals import permissions
from clearinghouse.portals.models import AuditEntry
from clearinghouse.records.models import Attachment, Draft, Record
from clearinghouse.records.services import Forbidden, RecordError

# extension → (content type, magic-byte prefixes; empty = text that must decode as UTF-8)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
    ".csv": ("text/csv", ()),
    ".txt": ("text/plain", ()),
}


class AttachmentRejected(RecordError):
    pass


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """Return (safe file name, content type) or raise AttachmentRejected."""
    name = PurePath((upload.name or "file").replace("\\", "/")).name[:200] or "file"
    suffix = PurePath(name).suffix.lower()
    limit = settings.CLEARINGHOUSE_MAX_ATTACHMENT_MB * 1024 * 1024
    if upload.size is None or upload.size == 0:
        raise AttachmentRejected(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > limit:
        raise AttachmentRejected(
            _("The file “%(name)s” is %(size)s MB; the limit is %(limit)s MB.")
            % {
                "name": name,
                "size": round(upload.size / 1048576, 1),
                "limit": settings.CLEARINGHOUSE_MAX_ATTACHMENT_MB,
            }
        )
    if suffix not in ALLOWED:
        raise AttachmentRejected(
            _("Files of type “%(suffix)s” are not accepted. Accepted: %(list)s.")
            % {"suffix": suffix or "?", "list": ", ".join(sorted(ALLOWED))}
        )
    content_type, magics = ALLOWED[suffix]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if magics and not head.startswith(magics):
        raise AttachmentRejected(
            _("The file “%(name)s” is not really a %(suffix)s file.")
            % {"name": name, "suffix": suffix}
        )
    if not magics:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # a multi-byte character cut at the boundary is fine
                raise AttachmentRejected(
                    _("The file “%(name)s” is not UTF-8 text.") % {"name": name}
                ) from None
    return name, content_type


def add_attachment(record: Record, user: Any, upload: UploadedFile) -> Attachment:
    if not permissions.can_draft(user, record.portal):
        raise Forbidden(_("You cannot add files on this portal."))
    draft = Draft.objects.filter(record=record).first()
    if draft is None or draft.under_review:
        # Files go with the record at once, so they may only be added while a draft is edited.
        raise RecordError(_("Files can only be added to a draft that is being edited."))
    name, content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    item = Attachment(
        record=record,
        filename=name,
        content_type=content_type,
        size=upload.size or 0,
        sha256=digest.hexdigest(),
        uploaded_by=user,
    )
    item.file.save(name, upload, save=True)
    AuditEntry.objects.create(
        portal=record.portal,
        user=user,
        action="attachment.add",
        target=record.uid,
        details={"file": name, "sha256": item.sha256},
    )
    return item
