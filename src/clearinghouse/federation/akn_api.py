"""``POST /api/akn/import``: import one Akoma Ntoso decision (the request body, XML)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from clearinghouse.api.auth import AUTH
from clearinghouse.federation import akn
from clearinghouse.portals import permissions

router = Router(tags=["decisions"])


class AknError(Schema):
    line: int | None = None
    code: str | None = None
    property: str | None = None
    message: str


class AknFile(Schema):
    file: str
    work: str
    language: str
    uid: str
    created: bool
    errors: list[AknError]


class AknImportOut(Schema):
    imported: bool
    files: list[AknFile]


class Detail(Schema):
    detail: str


@router.post(
    "/import",
    auth=AUTH,
    response={200: AknImportOut, 201: AknImportOut, 400: AknImportOut, 403: Detail},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
def import_akn(request: HttpRequest, publish: bool = False) -> Any:
    """Validate the AKN 3.0 document in the body (every schema error with its line), then
    create the decision or update the one with the same FRBR work URI, as a draft (or
    published with ``publish=true``, for those who may publish). Nothing is stored on error."""
    portal = request.portal  # type: ignore[attr-defined]
    if not permissions.can_draft(request.user, portal):
        return 403, {"detail": "You cannot create records on this portal."}
    if publish and not permissions.can_publish(request.user, portal, reference=True):
        return 403, {"detail": "You cannot publish on this portal."}
    result = akn.import_files(portal, [("body", request.body)], request.user, publish=publish)
    if not result.imported:
        return 400, result.as_json()
    return (201 if result.reports[0].created else 200), result.as_json()
