"""Demo content: a central portal, Benin's national portal, editors and a few records."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from clearinghouse.portals.models import Portal, PortalHost, PortalKind, PortalStatus, Role
from clearinghouse.portals.services import grant, provision_portal
from clearinghouse.records import services

DEMO_PASSWORD = "demo-clearinghouse"  # printed by `make demo`; demo data only
OTHER_COUNTRIES = [
    ("PE", "es", "live"),
    ("CN", "zh", "live"),
    ("RU", "ru", "live"),
    ("EG", "ar", "prepublished"),
    ("UG", "en", "prepublished"),
    ("FR", "fr", "archived"),
]


def _user(username: str, email: str) -> Any:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username, email=email, password=DEMO_PASSWORD
        )
    return user


def load_demo() -> dict[str, Any]:
    if Portal.objects.filter(code="central").exists():
        return {"created": False}
    central = provision_portal(
        "",
        ["en", "fr", "es", "ar", "ru", "zh"],
        "laila@example.org",
        hosts=["127.0.0.1"],
        code="central",
        status=PortalStatus.LIVE,
        kind=PortalKind.CENTRAL,
        password=DEMO_PASSWORD,
    ).portal
    central.name = {
        "en": "Clearing-House Mechanism — central portal",
        "fr": "Centre d'échange — portail central",
        "es": "Mecanismo de facilitación — portal central",
        "ar": "آلية غرفة تبادل المعلومات — البوابة المركزية",
        "ru": "Механизм посредничества — центральный портал",
        "zh": "信息交换所机制 — 中央门户",
    }
    central.is_default = True
    central.save()
    laila = get_user_model().objects.get(email="laila@example.org")
    laila.username = "laila"
    laila.save()
    grant(central, laila, Role.SECRETARIAT)
    benin = provision_portal(
        "BJ",
        ["fr", "en"],
        "manager.bj@example.org",
        hosts=["localhost", "bj.localhost"],
        status=PortalStatus.LIVE,
        password=DEMO_PASSWORD,
    ).portal
    amina = _user("amina", "amina@example.org")
    jean = _user("jean", "jean@example.org")
    grant(benin, amina, Role.AUTHORIZED_USER)
    grant(benin, jean, Role.PUBLISHING_AUTHORITY)
    for country, lang, status in OTHER_COUNTRIES:
        provision_portal(
            country,
            [lang, "en"] if lang != "en" else ["en"],
            f"manager.{country.lower()}@example.org",
            status=status,
            password=DEMO_PASSWORD,
        )
    _records(benin, jean, central, laila)
    from clearinghouse.cooperation.demo import load_cooperation_demo

    load_cooperation_demo(central, laila, DEMO_PASSWORD)
    return {
        "created": True,
        "central": central,
        "benin": benin,
        "hosts": {p.host: p.portal.code for p in PortalHost.objects.select_related("portal")},
    }


def _gbf_decision(central: Portal, laila: Any) -> Any:
    """Decision 15/4, as a clearly labelled excerpt: its paragraphs here are the 23 targets of
    section H of the annex, in the official text shipped with the vocabularies (the
    definitions of the GBF target concepts, from the KMGBF ontology: decision 15/4)."""
    from clearinghouse.vocabularies.models import Concept

    targets = Concept.objects.filter(scheme__identifier="gbf-targets").order_by("identifier")
    languages = ["en", "fr", "es"]
    paragraphs: list[dict[str, Any]] = []
    for concept in targets:
        number = concept.identifier.rsplit("-", 1)[-1].lstrip("0")
        texts = {k: v for k, v in (concept.definitions or {}).items() if k in languages}
        if number.isdigit() and texts.get("en"):
            paragraphs.append({"num": number, "text": texts})
    if not paragraphs:
        return None
    decision = services.create_draft(
        central,
        laila,
        "decision",
        {
            "header": {"languages": languages},
            "title": {
                "en": "Kunming-Montreal Global Biodiversity Framework "
                "(excerpt: the targets of section H of the annex)",
                "fr": "Cadre mondial de la biodiversité de Kunming-Montréal "
                "(extrait : les cibles de la section H de l'annexe)",
                "es": "Marco Mundial de Biodiversidad de Kunming-Montreal "
                "(extracto: las metas de la sección H del anexo)",
            },
            "summary": {
                "en": "Demonstration excerpt: each numbered paragraph below is the official "
                "text of the global target with that number (annex, section H). The "
                "decision's own operative paragraphs are not reproduced.",
            },
            "treaty": "CBD",
            "meetingCode": "COP-15",
            "meeting": "COP 15, Montreal",
            "number": "15/4",
            "date": "2022-12-19",
            "status": "active",
            "paragraphs": paragraphs,
            "gbfTargets": [{"identifier": c.identifier} for c in targets],
            "links": [{"url": "https://www.cbd.int/doc/decisions/cop-15/cop-15-dec-04-en.pdf"}],
        },
    )
    services.publish(decision, laila)
    return decision


def _records(benin: Portal, jean: Any, central: Portal, laila: Any) -> None:
    decision = _gbf_decision(central, laila)
    guidance = services.create_draft(
        benin,
        jean,
        "resource",
        {
            "header": {"languages": ["fr", "en"]},
            "title": {
                "fr": "Guide national de restauration des mangroves",
                "en": "National guide to mangrove restoration",
            },
            "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
            "authors": "Direction générale des Eaux, Forêts et Chasse",
            "organizations": "Ministère du Cadre de Vie et du Développement durable",
            "publicationDate": "2025-06-05",
            "resourceLinks": [{"url": "https://example.org/bj/mangroves.pdf"}],
            "summary": {
                "fr": "Méthodes de restauration des mangroves du littoral béninois, "
                "avec le suivi de la régénération et la participation des communautés.",
                "en": "Methods to restore the mangroves of Benin's coast, with monitoring "
                "of regeneration and community participation.",
            },
            "gbfTargets": [{"identifier": "GBF-TARGET-02"}],
            "cbdSubjects": [
                {"identifier": "CBD-SUBJECT-RESTORATION"},
                {"identifier": "CBD-SUBJECT-MAR"},
            ],
            "countryRegions": [{"identifier": "bj"}],
            # Target 2 (restoration): "paragraph 2" of the demonstration excerpt.
            "decisionCitations": (
                [{"identifier": decision.uid, "paragraph": "para_2"}] if decision else []
            ),
        },
    )
    services.publish(guidance, jean)
    target = services.create_draft(
        benin,
        jean,
        "nationalTarget7",
        {
            "header": {"languages": ["fr"]},
            "title": {"fr": "Cible nationale 3 : 30 % du territoire sous protection d'ici 2030"},
            "description": {"fr": "Étendre le réseau des aires protégées et des AMCE."},
            "globalTargetAlignment": [
                {"identifier": "GBF-TARGET-03", "degreeOfAlignment": {"identifier": "DOA-HIGH"}}
            ],
        },
    )
    services.publish(target, jean)
    case = services.create_draft(
        central,
        laila,
        "caseStudy",
        {
            "header": {"languages": ["en", "es"]},
            "title": {
                "en": "Community forest restoration in the Andes",
                "es": "Restauración comunitaria de bosques en los Andes",
            },
            "summary": {
                "en": "Farmers and municipalities restored native forest on degraded "
                "slopes, improving water supply.",
                "es": "Agricultores y municipios restauraron bosque nativo en laderas "
                "degradadas y mejoraron el abastecimiento de agua.",
            },
            "countryRegions": [{"identifier": "pe"}],
            "buildingBlocks": [
                {
                    "title": {"en": "Participatory mapping"},
                    "description": {"en": "Communities mapped degraded land and priorities."},
                },
                {
                    "title": {"en": "Native nurseries"},
                    "description": {"en": "Local nurseries grew native species."},
                },
            ],
            "gbfTargets": [{"identifier": "GBF-TARGET-02"}],
        },
    )
    services.publish(case, laila)
