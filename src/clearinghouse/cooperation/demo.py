"""Demo content for cooperation: Carlos (Peru), Dr. Chen (China), providers, a grant call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from clearinghouse.cooperation.models import ReviewerProfile
from clearinghouse.portals.models import Portal, Role
from clearinghouse.portals.services import grant
from clearinghouse.records import services

PROFILES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "ieb",
        "ieb@example.org",
        {
            "header": {"languages": ["es", "en"]},
            "title": {
                "es": "Instituto de Ecología y Biodiversidad (Chile)",
                "en": "Institute of Ecology and Biodiversity (Chile)",
            },
            "organization": "Instituto de Ecología y Biodiversidad",
            "country": {"identifier": "cl"},
            "organizationType": {"identifier": "OT-ACADEMIC"},
            "coverageRegions": [{"identifier": "m49-419"}],
            "assistanceTypes": [
                {"identifier": "AT-TRAINING"},
                {"identifier": "AT-EXPERT-ADVICE"},
                {"identifier": "AT-RESEARCH"},
            ],
            "expertise": {
                "es": "Manejo y erradicación de especies exóticas invasoras en islas, lagos y "
                "humedales; control del castor en la Patagonia; capacitación de guardaparques.",
                "en": "Management and eradication of invasive alien species on islands, lakes "
                "and wetlands; beaver control in Patagonia; ranger training.",
            },
            "operationalLanguages": [{"identifier": "LANG-ES"}, {"identifier": "LANG-EN"}],
            "gbfTargets": [{"identifier": "GBF-TARGET-06"}, {"identifier": "GBF-TARGET-03"}],
            "cbdSubjects": [{"identifier": "CBD-SUBJECT-IAS"}, {"identifier": "CBD-SUBJECT-PA"}],
            "capacity": 3,
            "completedAssignments": 6,
            "emails": ["ieb@example.org"],
        },
    ),
    (
        "redunis",
        "redunis@example.org",
        {
            "header": {"languages": ["es"]},
            "title": {"es": "Red de Universidades Españolas por la Biodiversidad"},
            "organization": "Red de Universidades Españolas por la Biodiversidad",
            "country": {"identifier": "es"},
            "organizationType": {"identifier": "OT-ACADEMIC"},
            "coverageRegions": [
                {"identifier": "m49-419"},
                {"identifier": "m49-150"},
                {"identifier": "m49-002"},
            ],
            "assistanceTypes": [{"identifier": "AT-TRAINING"}, {"identifier": "AT-RESEARCH"}],
            "expertise": {
                "es": "Biología de las invasiones, detección temprana y respuesta rápida frente a "
                "especies invasoras, restauración ecológica y formación de posgrado."
            },
            "operationalLanguages": [
                {"identifier": "LANG-ES"},
                {"identifier": "LANG-EN"},
                {"identifier": "LANG-FR"},
            ],
            "gbfTargets": [{"identifier": "GBF-TARGET-06"}, {"identifier": "GBF-TARGET-02"}],
            "cbdSubjects": [{"identifier": "CBD-SUBJECT-IAS"}],
            "capacity": 4,
            "completedAssignments": 4,
        },
    ),
    (
        "chen",
        "chen@example.org",
        {
            "header": {"languages": ["zh", "en"]},
            "title": {
                "zh": "中国科学院植物研究所",
                "en": "Institute of Botany, Chinese Academy of Sciences",
            },
            "organization": "Institute of Botany, CAS",
            "country": {"identifier": "cn"},
            "organizationType": {"identifier": "OT-ACADEMIC"},
            "coverageRegions": [{"identifier": "m49-142"}, {"identifier": "m49-002"}],
            "assistanceTypes": [
                {"identifier": "AT-RESEARCH"},
                {"identifier": "AT-DATA"},
                {"identifier": "AT-TRAINING"},
            ],
            "expertise": {
                "zh": "植物多样性保护、外来入侵植物的监测与风险评估、生物多样性数据库建设。",
                "en": "Plant diversity conservation, monitoring and risk assessment of invasive "
                "plants, biodiversity databases.",
            },
            "operationalLanguages": [{"identifier": "LANG-ZH"}, {"identifier": "LANG-EN"}],
            "gbfTargets": [{"identifier": "GBF-TARGET-04"}, {"identifier": "GBF-TARGET-06"}],
            "cbdSubjects": [{"identifier": "CBD-SUBJECT-IAS"}],
            "capacity": 2,
            "completedAssignments": 5,
        },
    ),
]

CARLOS_REQUEST: dict[str, Any] = {
    "header": {"languages": ["es"]},
    "title": {"es": "Manejo de especies exóticas invasoras en áreas naturales protegidas"},
    "problem": {
        "es": "El Ministerio del Ambiente necesita apoyo técnico para prevenir y controlar "
        "especies invasoras como la rana toro y la trucha en lagos altoandinos, y formar al "
        "personal de las áreas naturales protegidas (Meta 6 del Marco Mundial)."
    },
    "country": {"identifier": "pe"},
    "organization": "Ministerio del Ambiente del Perú",
    "assistanceTypes": [{"identifier": "AT-TRAINING"}, {"identifier": "AT-EXPERT-ADVICE"}],
    "workingLanguages": [{"identifier": "LANG-ES"}],
    "gbfTargets": [{"identifier": "GBF-TARGET-06"}],
    "cbdSubjects": [{"identifier": "CBD-SUBJECT-IAS"}],
    "beneficiaryTypes": [{"identifier": "BT-GOVERNMENT"}],
}


REVIEWERS = (
    ("ieb", "cl", "Instituto de Ecología y Biodiversidad", "LANG-ES"),
    ("redunis", "es", "Red de Universidades Españolas por la Biodiversidad", "LANG-ES"),
    ("chen", "cn", "Institute of Botany, Chinese Academy of Sciences", "LANG-ZH"),
)


def _user(username: str, email: str, password: str) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    return user or user_model.objects.create_user(username, email, password)


def load_cooperation_demo(central: Portal, laila: Any, password: str) -> None:
    for username, email, document in PROFILES:
        provider = _user(username, email, password)
        grant(central, provider, Role.CONTRIBUTOR)
        record = services.create_draft(central, provider, "bbiProfile", document)
        services._publish_now(record, laila)
    peru = Portal.objects.filter(code="pe").first()
    if peru is not None:
        carlos = _user("carlos", "carlos@example.org", password)
        grant(peru, carlos, Role.AUTHORIZED_USER)
        services.create_draft(peru, carlos, "bbiRequest", CARLOS_REQUEST)
    deadline = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    call = services.create_draft(
        central,
        laila,
        "fundingOpportunity",
        {
            "header": {"languages": ["en", "es", "fr"]},
            "title": {
                "en": "Bio-Bridge seed grants",
                "es": "Subvenciones iniciales de Bio-Bridge",
                "fr": "Subventions d'amorçage Bio-Bridge",
            },
            "description": {
                "en": "Seed grants of up to USD 20,000 for technical and scientific "
                "cooperation between matched partners."
            },
            "funder": "Secretariat of the Convention on Biological Diversity",
            "fundingType": {"identifier": "FT-SEED-GRANT"},
            "maxAmount": 20000,
            "budget": 100000,
            "eligibleOrganizationTypes": [
                {"identifier": "OT-ACADEMIC"},
                {"identifier": "OT-NGO"},
                {"identifier": "OT-GOVERNMENT"},
            ],
            "applicationDeadline": deadline,
            "active": True,
            "links": [{"url": "https://www.cbd.int/biobridge"}],
            "gbfTargets": [{"identifier": "GBF-TARGET-20"}],
        },
    )
    services._publish_now(call, laila)
    # The reviewer pool of the small grants: the three providers review proposals.
    for username, country, organization, language in REVIEWERS:
        user = get_user_model().objects.filter(username=username).first()
        if user is not None:
            ReviewerProfile.objects.update_or_create(
                user=user,
                defaults={
                    "country": country,
                    "organization": organization,
                    "languages": [language],
                },
            )
