"""Builders for test data: portals, users with roles, and valid documents per record type."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from django.contrib.auth import get_user_model

from clearinghouse.portals.models import Membership, Portal, PortalHost, PortalKind, PortalStatus

_seq = itertools.count(1)
PASSWORD = "test-password-123"


def make_portal(
    code: str = "bj",
    country: str = "BJ",
    hosts: list[str] | None = None,
    kind: str = PortalKind.NATIONAL,
    languages: list[str] | None = None,
    status: str = PortalStatus.LIVE,
    is_default: bool = False,
) -> Portal:
    portal = Portal.objects.create(
        code=code,
        kind=kind,
        country=country if kind == PortalKind.NATIONAL else "",
        name={"en": f"Portal {code}", "fr": f"Portail {code}"},
        languages=languages or ["fr", "en"],
        default_language=(languages or ["fr"])[0],
        status=status,
        is_default=is_default,
    )
    for host in hosts or [f"{code}.testserver"]:
        PortalHost.objects.create(portal=portal, host=host)
    return portal


def make_user(portal: Portal | None = None, *roles: str, username: str = "") -> Any:
    username = username or f"user{next(_seq)}"
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD
    )
    for role in roles:
        assert portal is not None
        Membership.objects.create(portal=portal, user=user, role=role)
    return user


VALID: dict[str, dict[str, Any]] = {
    "resource": {
        "header": {"languages": ["fr", "en"]},
        "title": {"fr": "Guide de restauration des mangroves", "en": "Mangrove restoration guide"},
        "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
        "authors": "A. Author",
        "organizations": "Ministry of Environment",
        "publicationDate": "2025-01-31",
        "resourceLinks": [{"url": "https://example.org/guide.pdf"}],
        "summary": {"fr": "Un guide pratique.", "en": "A practical guide."},
        "cbdSubjects": [{"identifier": "CBD-SUBJECT-RESTORATION"}],
        "gbfTargets": [{"identifier": "GBF-TARGET-02"}],
    },
    "capacityBuildingInitiative": {
        "header": {"languages": ["en"]},
        "title": {"en": "Protected area managers training"},
        "contacts": "Project office",
        "geographicScope": {"identifier": "GS-NATIONAL"},
        "status": {"identifier": "IS-ONGOING"},
        "startDate": "2024-01-01",
        "endDate": "2026-12-31",
        "totalBudget": 250000,
        "gbfTargets": [{"identifier": "GBF-TARGET-03"}],
    },
    "organization": {
        "header": {"languages": ["en"]},
        "name": {"en": "National Biodiversity Institute"},
        "organizationType": {"identifier": "OT-ACADEMIC"},
        "city": "Cotonou",
        "country": {"identifier": "bj"},
        "phones": "+229 00 00 00 00",
        "emails": ["info@example.org"],
    },
    "contact": {
        "header": {"languages": ["en"]},
        "firstName": "Amina",
        "lastName": "Sow",
        "organization": "Ministry of Environment",
        "country": {"identifier": "bj"},
        "emails": ["amina@example.org"],
        "type": {"identifier": "CT-NFP"},
    },
    "event": {
        "header": {"languages": ["en"]},
        "title": {"en": "Regional NBSAP dialogue"},
        "eventType": {"identifier": "ET-WORKSHOP"},
        "startDate": "2026-03-02",
        "endDate": "2026-03-04",
    },
    "nationalTarget7": {
        "header": {"languages": ["fr"]},
        "title": {"fr": "Cible nationale 2"},
        "globalTargetAlignment": [
            {"identifier": "GBF-TARGET-02", "degreeOfAlignment": {"identifier": "DOA-HIGH"}}
        ],
    },
    "nbsap": {
        "header": {"languages": ["fr"]},
        "title": {"fr": "SPANB 2025-2030"},
        "jurisdiction": {"identifier": "JUR-NATIONAL"},
        "isGbfAligned": True,
        "startDate": "2025-01-01",
        "endDate": "2030-12-31",
        "status": {"identifier": "NS-ADOPTED"},
        "documentLinks": [{"url": "https://example.org/nbsap.pdf"}],
    },
    "caseStudy": {
        "header": {"languages": ["en"]},
        "title": {"en": "Community forest restoration"},
        "summary": {"en": "Farmers restored native forest."},
        "buildingBlocks": [
            {"title": {"en": "Mapping"}, "description": {"en": "Participatory mapping."}}
        ],
    },
    "news": {
        "header": {"languages": ["en"]},
        "title": {"en": "Portal launched"},
        "date": "2026-01-15",
        "body": {"en": "The national portal is live."},
    },
    "bbiRequest": {
        "header": {"languages": ["es"]},
        "title": {"es": "Manejo de especies exóticas invasoras"},
        "problem": {"es": "Necesitamos apoyo para controlar especies invasoras en humedales."},
        "country": {"identifier": "pe"},
        "assistanceTypes": [{"identifier": "AT-TRAINING"}],
        "workingLanguages": [{"identifier": "LANG-ES"}],
        "gbfTargets": [{"identifier": "GBF-TARGET-06"}],
        "cbdSubjects": [{"identifier": "CBD-SUBJECT-IAS"}],
        "beneficiaryTypes": [{"identifier": "BT-GOVERNMENT"}],
    },
    "bbiProfile": {
        "header": {"languages": ["en"]},
        "title": {"en": "Invasive species advisory service"},
        "organization": "Institute of Ecology",
        "country": {"identifier": "cl"},
        "coverageRegions": [{"identifier": "m49-419"}],
        "assistanceTypes": [{"identifier": "AT-TRAINING"}],
        "expertise": {"en": "Eradication and control of invasive alien species."},
        "operationalLanguages": [{"identifier": "LANG-ES"}, {"identifier": "LANG-EN"}],
        "gbfTargets": [{"identifier": "GBF-TARGET-06"}],
        "capacity": 3,
    },
    "bbiOpportunity": {
        "header": {"languages": ["en"]},
        "title": {"en": "South-South exchange on wetland monitoring"},
        "description": {"en": "Study visits for wetland managers."},
        "assistanceTypes": [{"identifier": "AT-EXCHANGE"}],
        "applicationDeadline": "2026-06-30",
        "active": True,
    },
    "fundingOpportunity": {
        "header": {"languages": ["en"]},
        "title": {"en": "Bio-Bridge seed grants"},
        "description": {"en": "Seed grants up to USD 20,000 for matched cooperation."},
        "funder": "CBD Secretariat",
        "fundingType": {"identifier": "FT-SEED-GRANT"},
        "maxAmount": 20000,
        "applicationDeadline": "2026-09-30",
        "links": [{"url": "https://example.org/bio-bridge"}],
    },
    "decision": {
        "header": {"languages": ["en", "fr"]},
        "title": {"en": "Kunming-Montreal Global Biodiversity Framework", "fr": "Cadre mondial"},
        "treaty": "CBD",
        "meetingCode": "COP-15",
        "meeting": "COP 15",
        "number": "15/4",
        "date": "2022-12-19",
        "status": "active",
        "preamble": {"en": "The Conference of the Parties,"},
        "paragraphs": [
            {"num": "1", "text": {"en": "Adopts the framework;", "fr": "Adopte le cadre ;"}},
            {
                "num": "9",
                "text": {"en": "Requests the Executive Secretary:", "fr": "Prie la Secrétaire :"},
                "subparagraphs": [
                    {"num": "a", "text": {"en": "To support Parties;", "fr": "D'aider ;"}},
                    {
                        "num": "b",
                        "text": {"en": "To report progress;", "fr": "De rendre compte ;"},
                        "subparagraphs": [
                            {"num": "i", "text": {"en": "yearly;", "fr": "chaque année ;"}},
                            {"num": "ii", "text": {"en": "online.", "fr": "en ligne."}},
                        ],
                    },
                ],
            },
        ],
        "gbfTargets": [{"identifier": "GBF-TARGET-01"}],
    },
}


def valid_document(schema: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(VALID[schema])
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc
