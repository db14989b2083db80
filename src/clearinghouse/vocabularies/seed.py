"""Load the vocabulary seed shipped in ``data/`` (sources: data/SOURCES.md).

Loading is idempotent: concepts are upserted by identifier, so it can run on every deploy."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import transaction
from rdflib import URIRef

from clearinghouse.vocabularies.models import Concept, ConceptScheme

DATA = Path(__file__).parent / "data"
BASE_URI = "https://clearinghouse.example.org/vocab/"
KMGBF = "http://metadata.cbd.int/kmgbf/"
UNSD_FILES = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "cn"}


def _scheme(
    identifier: str,
    titles: dict[str, str],
    uri: str | None = None,
    notes: dict[str, dict[str, str]] | None = None,
) -> ConceptScheme:
    defaults: dict[str, Any] = {"titles": titles, "uri": uri or f"{BASE_URI}{identifier}"}
    if notes is not None:
        defaults["notes"] = notes
    scheme, _created = ConceptScheme.objects.update_or_create(
        identifier=identifier, defaults=defaults
    )
    return scheme


def _upsert(scheme: ConceptScheme, identifier: str, **fields: Any) -> Concept:
    fields.setdefault("uri", f"{scheme.uri.rstrip('/')}/{identifier}")
    concept, _created = Concept.objects.update_or_create(
        identifier=identifier, defaults={"scheme": scheme, **fields}
    )
    return concept


def _literals(graph: Any, subject: Any, predicate: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for obj in graph.objects(subject, predicate):
        lang = getattr(obj, "language", None) or "en"
        out.setdefault(lang, []).append(str(obj))
    return out


def _first(values: dict[str, list[str]]) -> dict[str, str]:
    return {lang: texts[0] for lang, texts in values.items()}


ONTO = "http://metadata.cbd.int/kmgbf/ontology#"
ROLES = ("Headline", "Binary", "Component", "Complementary")


def _gbf_graph() -> Any:
    from rdflib import Graph

    graph = Graph()
    for name in ("goals.ttl", "targets.ttl", "indicators.ttl", "indicators-guidance.ttl"):
        graph.parse(DATA / name)
    return graph


def load_gbf() -> int:
    """GBF goals, targets and indicators from the KMGBF ontology (official text en/fr/es).

    Statements the concept model has no column for (``rdf:type :Goal``, ``:goalCode``,
    ``dct:title``, the indicator roles ``:isHeadlineFor`` …) are kept in ``extra["rdf"]`` so
    that the export stays a valid KMGBF instance (``data/kmgbf-shapes.ttl``)."""
    from rdflib import Namespace
    from rdflib.namespace import DCTERMS, SKOS

    from clearinghouse.vocabularies.skos import other_statements

    onto = Namespace(ONTO)
    graph = _gbf_graph()
    count = 0
    goals = _scheme(
        "gbf-goals",
        {"en": "GBF goals", "fr": "Objectifs du CMB", "es": "Objetivos del MMB"},
        KMGBF + "goals",
    )
    targets = _scheme(
        "gbf-targets",
        {"en": "GBF targets", "fr": "Cibles du CMB", "es": "Metas del MMB"},
        KMGBF + "targets",
    )
    indicators = _scheme(
        "gbf-indicators",
        {
            "en": "GBF monitoring framework indicators",
            "fr": "Indicateurs du cadre de suivi du CMB",
            "es": "Indicadores del marco de seguimiento del MMB",
        },
        KMGBF + "indicatorScheme",
    )
    by_uri: dict[str, Concept] = {}
    for kind, scheme, code_prop, ident, sort in (
        (onto.Goal, goals, onto.goalCode, lambda c: f"GBF-GOAL-{c}", lambda c: c.zfill(3)),
        (
            onto.Target,
            targets,
            onto.targetCode,
            lambda c: f"GBF-TARGET-{int(c):02d}",
            lambda c: c.zfill(3),
        ),
        (
            onto.Indicator,
            indicators,
            onto.indicatorCode,
            lambda c: f"GBF-INDICATOR-{c}",
            # goals' indicators (A.1) before targets' (1.1), then numerically
            lambda c: ("0" if c[0].isalpha() else "1") + ".".join(p.zfill(3) for p in c.split(".")),
        ),
    ):
        for subject in sorted(graph.subjects(predicate=None, object=kind)):
            code = str(graph.value(subject, code_prop))
            titles = {
                lang: vals[0] for lang, vals in _literals(graph, subject, DCTERMS.title).items()
            }
            prefs = {
                lang: vals[0] for lang, vals in _literals(graph, subject, SKOS.prefLabel).items()
            }
            by_uri[str(subject)] = _upsert(
                scheme,
                ident(code),
                uri=str(subject),
                notation=code,
                sort_key=sort(code),
                pref_labels={
                    lang: f"{label} — {titles[lang]}" if lang in titles else label
                    for lang, label in prefs.items()
                },
                alt_labels=_literals(graph, subject, SKOS.altLabel),
                definitions=_first(_literals(graph, subject, SKOS.definition)),
                extra={"short": prefs, "title": titles, "rdf": other_statements(graph, subject)},
            )
            count += 1
    # SKOS browsing hierarchy, as materialised by the KMGBF triple store: an indicator is
    # narrower than every goal and target it has a role for (the roles stay in extra["rdf"]).
    for uri, concept in by_uri.items():
        if concept.scheme_id != indicators.pk:
            continue
        parents = {
            str(o)
            for role in ROLES
            for o in graph.objects(URIRef(uri), onto[f"is{role}For"])
            if str(o) in by_uri
        }
        concept.broader.set([by_uri[p] for p in sorted(parents)])
    return count


def indicator_roles(concept: Concept) -> dict[str, list[str]]:
    """{"headline": [goal/target URI, …], …} from the KMGBF role statements."""
    roles: dict[str, list[str]] = {}
    for statement in (concept.extra or {}).get("rdf", []):
        for role in ROLES:
            if statement["p"] == f"{ONTO}is{role}For" and "o" in statement:
                roles.setdefault(role.lower(), []).append(statement["o"])
    return roles


def _unsd_rows() -> Iterable[tuple[str, dict[str, dict[str, str]]]]:
    by_code: dict[str, dict[str, dict[str, str]]] = {}
    for lang, suffix in UNSD_FILES.items():
        with open(DATA / f"UNSD-{suffix}.csv", encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                by_code.setdefault(row["M49 Code"], {})[lang] = row
    yield from by_code.items()


def load_countries() -> int:
    """UN M49 countries (ISO alpha-2, lower case, as the CBD's government field) and regions."""
    countries = _scheme(
        "countries",
        {
            "en": "Countries",
            "fr": "Pays",
            "es": "Países",
            "ar": "البلدان",
            "ru": "Страны",
            "zh": "国家",
        },
    )
    regions = _scheme(
        "regions",
        {
            "en": "Regions (UN M49)",
            "fr": "Régions (M49)",
            "es": "Regiones (M49)",
            "ar": "المناطق",
            "ru": "Регионы",
            "zh": "区域",
        },
    )
    region_concepts: dict[str, Concept] = {}
    count = 0
    for m49, langs in _unsd_rows():
        en = langs["en"]
        iso2 = en["ISO-alpha2 Code"].strip()
        if not iso2:
            continue
        parents = []
        for level in ("Region", "Sub-region", "Intermediate Region"):
            code = en[f"{level} Code"].strip()
            if not code:
                continue
            if code not in region_concepts:
                region_concepts[code] = _upsert(
                    regions,
                    f"m49-{code}",
                    notation=code,
                    sort_key=code,
                    pref_labels={
                        lang: row[f"{level} Name"]
                        for lang, row in langs.items()
                        if row.get(f"{level} Name")
                    },
                )
            parents.append(region_concepts[code])
        groups = [
            name
            for name, col in (
                ("LDC", "Least Developed Countries (LDC)"),
                ("LLDC", "Land Locked Developing Countries (LLDC)"),
                ("SIDS", "Small Island Developing States (SIDS)"),
            )
            if en.get(col, "").strip()
        ]
        concept = _upsert(
            countries,
            iso2.lower(),
            notation=iso2,
            sort_key=en["Country or Area"],
            pref_labels={lang: row["Country or Area"] for lang, row in langs.items()},
            extra={"m49": m49, "iso3": en["ISO-alpha3 Code"], "groups": groups},
        )
        concept.broader.set(parents[-1:])
        count += 1
    for code, concept in region_concepts.items():
        del code
        concept.broader.clear()
    return count


def load_small() -> int:
    data = json.loads((DATA / "seed.json").read_text(encoding="utf-8"))
    count = 0
    replacements: list[tuple[Concept, str]] = []
    for scheme_data in data["schemes"]:
        scheme = _scheme(scheme_data["identifier"], scheme_data["titles"])
        for i, concept in enumerate(scheme_data["concepts"]):
            stored = _upsert(
                scheme,
                concept["identifier"],
                pref_labels=concept["pref_labels"],
                sort_key=f"{i:03d}",
                deprecated=bool(concept.get("deprecated", False)),
            )
            # A deprecated key (e.g. a former project key replaced by the CBD's own) keeps
            # resolving and validating; ``replaced_by`` names its replacement.
            if concept.get("replaced_by"):
                replacements.append((stored, concept["replaced_by"]))
            count += 1
    for stored, replacement in replacements:
        stored.replaced_by = Concept.objects.get(identifier=replacement)
        stored.save(update_fields=["replaced_by"])
    return count


UN_SDG = "http://metadata.un.org/sdg/"  # the UN's SDG knowledge organization system


def _sdg_target_sort(code: str) -> str:
    goal, target = code.split(".")
    return f"{int(goal):03d}." + (f"{int(target):03d}" if target.isdigit() else f"z{target}")


def load_sdg() -> int:
    """The 17 Sustainable Development Goals and their 169 targets in the six UN languages
    (``data/sdg.json``, from open-sdg/sdg-translations; see data/SOURCES.md). A language the
    source lacks stays missing: nothing is translated here."""
    data = json.loads((DATA / "sdg.json").read_text(encoding="utf-8"))
    source = data["source"]
    scheme = _scheme(
        "sdg",
        # The six titles are the source's own wording (target 17.16 / 17.9 in each language).
        {
            "en": "Sustainable Development Goals",
            "fr": "Objectifs de développement durable",
            "es": "Objetivos de Desarrollo Sostenible",
            "ar": "أهداف التنمية المستدامة",
            "ru": "Цели в области устойчивого развития",
            "zh": "可持续发展目标",
        },
        notes={
            "note": {
                "en": "The 17 Sustainable Development Goals and 169 targets (UN General Assembly "
                "resolution 70/1), CBD thesaurus domain SUSTAINABLE-DEVELOPMENT-GOALS. Texts: "
                f"{source['repository']} (MIT); goals and targets are skos:exactMatch the UN SDG "
                f"vocabulary ({UN_SDG})."
            }
        },
    )
    count = 0
    goals: dict[str, Concept] = {}
    for code, texts in data["goals"].items():
        goals[code] = _upsert(
            scheme,
            f"SDG-GOAL-{int(code)}",
            notation=code,
            sort_key=f"{int(code):03d}",
            pref_labels=texts.get("short", {}),
            definitions=texts.get("title", {}),
            mappings=[{"relation": "exactMatch", "uri": f"{UN_SDG}{int(code)}"}],
            extra={"cbd_identifier": f"SUSTAINABLE-DEVELOPMENT-GOAL-{int(code):02d}"},
        )
        goals[code].broader.clear()
        count += 1
    for code, texts in data["targets"].items():
        concept = _upsert(
            scheme,
            f"SDG-TARGET-{code}",
            notation=code,
            sort_key=_sdg_target_sort(code),
            pref_labels=texts["title"],
            mappings=[{"relation": "exactMatch", "uri": f"{UN_SDG}{code}"}],
        )
        concept.broader.set([goals[code.split(".")[0]]])
        count += 1
    return count


def load_aichi() -> int:
    """The Aichi Biodiversity Targets (Strategic Plan for Biodiversity 2011-2020): 5 strategic
    goals and 20 targets, English only (``data/aichi.json``). Historical: superseded by the
    Kunming-Montreal GBF in 2022; kept so older records keep their tags."""
    data = json.loads((DATA / "aichi.json").read_text(encoding="utf-8"))
    source = data["source"]
    scheme = _scheme(
        "aichi-targets",
        {"en": "Aichi Biodiversity Targets"},
        notes={
            "historyNote": {
                "en": "Historical vocabulary: the Aichi Biodiversity Targets of the Strategic "
                "Plan for Biodiversity 2011-2020 (CBD decision X/2) were superseded in 2022 by "
                "the Kunming-Montreal Global Biodiversity Framework (decision 15/4)."
            },
            "note": {
                "en": f"Text: {source['repository']} {source['path']} (commit "
                f"{source['commit'][:8]}), English only; other languages are missing."
            },
        },
    )
    count = 0
    goals: dict[str, Concept] = {}
    for letter, text in data["goals"].items():
        goals[letter] = _upsert(
            scheme,
            f"AICHI-STRATEGIC-GOAL-{letter}",
            notation=letter,
            sort_key=f"0{letter}",
            pref_labels={"en": text},
        )
        goals[letter].broader.clear()
        count += 1
    parent = {n: letter for letter, numbers in data["goal_targets"].items() for n in numbers}
    for number, target in data["targets"].items():
        concept = _upsert(
            scheme,
            f"AICHI-TARGET-{int(number):02d}",
            notation=number,
            sort_key=f"1{int(number):03d}",
            pref_labels={"en": target["text"]},
            alt_labels={"en": [target["keyword"]]},
        )
        concept.broader.set([goals[parent[int(number)]]])
        count += 1
    return count


def load_crosswalks() -> int:
    """Published crosswalks shipped in ``data/crosswalk-*.csv`` (see data/SOURCES.md)."""
    from clearinghouse.vocabularies import crosswalk

    added = 0
    for path in sorted(DATA.glob("crosswalk-*.csv")):
        added += crosswalk.import_crosswalk(path.read_bytes()).rows
    return added


@transaction.atomic
def load_all() -> dict[str, int]:
    from clearinghouse.vocabularies import labels

    counts = {
        "gbf": load_gbf(),
        "countries": load_countries(),
        "lists": load_small(),
        "sdg": load_sdg(),
        "aichi": load_aichi(),
    }
    counts["crosswalk mappings"] = load_crosswalks()
    labels.invalidate()
    return counts
