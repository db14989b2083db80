"""Evaluation set for matchmaking: realistic provider profiles and requests (CBD documents),
each request with its known good matches (2 = excellent, 1 = good).

Judgements were made by reading each request against every profile, as a helpdesk officer
would: a good match must be able to serve the country, in a language the requester works in,
with the kind of assistance asked for, and know the subject."""

from __future__ import annotations

from typing import Any


def _terms(*idents: str) -> list[dict[str, str]]:
    return [{"identifier": i} for i in idents]


def _targets(*numbers: int) -> list[dict[str, str]]:
    return _terms(*(f"GBF-TARGET-{n:02d}" for n in numbers))


def _subjects(*names: str) -> list[dict[str, str]]:
    return _terms(*(f"CBD-SUBJECT-{n}" for n in names))


def provider(
    key: str,
    lang: str,
    title: str,
    expertise: str,
    country: str,
    languages: str,
    assistance: str,
    targets: tuple[int, ...],
    subjects: tuple[str, ...],
    countries: str = "",
    regions: str = "",
    capacity: int = 2,
    track: int = 0,
    beneficiaries: str = "",
) -> tuple[str, dict[str, Any]]:
    doc: dict[str, Any] = {
        "header": {"languages": [lang]},
        "title": {lang: title},
        "organization": title,
        "country": {"identifier": country},
        "assistanceTypes": _terms(*(f"AT-{a}" for a in assistance.split())),
        "expertise": {lang: expertise},
        "operationalLanguages": _terms(*(f"LANG-{x.upper()}" for x in languages.split())),
        "gbfTargets": _targets(*targets),
        "cbdSubjects": _subjects(*subjects),
        "capacity": capacity,
        "completedAssignments": track,
    }
    if countries:
        doc["coverageArea"] = _terms(*countries.split())
    if regions:
        doc["coverageRegions"] = _terms(*(f"m49-{r}" for r in regions.split()))
    if beneficiaries:
        doc["beneficiaryTypes"] = _terms(*(f"BT-{b}" for b in beneficiaries.split()))
    return key, doc


def request(
    key: str,
    lang: str,
    title: str,
    problem: str,
    country: str,
    languages: str,
    assistance: str,
    targets: tuple[int, ...],
    subjects: tuple[str, ...],
    relevant: dict[str, int],
    beneficiaries: str = "GOVERNMENT",
) -> dict[str, Any]:
    return {
        "key": key,
        "relevant": relevant,
        "document": {
            "header": {"languages": [lang]},
            "title": {lang: title},
            "problem": {lang: problem},
            "country": {"identifier": country},
            "assistanceTypes": _terms(*(f"AT-{a}" for a in assistance.split())),
            "workingLanguages": _terms(*(f"LANG-{x.upper()}" for x in languages.split())),
            "gbfTargets": _targets(*targets),
            "cbdSubjects": _subjects(*subjects),
            "beneficiaryTypes": _terms(*(f"BT-{b}" for b in beneficiaries.split())),
        },
    }


# M49: 002 Africa, 011 Western Africa, 015 Northern Africa, 009 Oceania, 034 Southern Asia,
# 035 South-eastern Asia, 142 Asia, 143 Central Asia, 145 Western Asia, 150 Europe,
# 151 Eastern Europe, 419 Latin America and the Caribbean.
PROVIDERS: dict[str, dict[str, Any]] = dict(
    [
        provider(
            "cl-ieb", "es", "Instituto de Ecología y Biodiversidad (Chile)",
            "Manejo y erradicación de especies exóticas invasoras en islas, lagos y humedales; "
            "control del castor y del visón en la Patagonia; capacitación de guardaparques y "
            "planes nacionales de especies invasoras.",
            "cl", "es en", "TRAINING EXPERT-ADVICE RESEARCH", (6, 3), ("IAS", "PA"),
            regions="419", capacity=3, track=6,
        ),
        provider(
            "es-redunis", "es", "Red de Universidades Españolas por la Biodiversidad",
            "Red universitaria con experiencia en biología de las invasiones, detección temprana "
            "y respuesta rápida frente a especies invasoras, restauración ecológica de riberas y "
            "formación de posgrado en conservación.",
            "es", "es en fr", "TRAINING RESEARCH EXCHANGE", (6, 2, 21),
            ("IAS", "RESTORATION", "KM"), regions="419 150 002", capacity=4, track=4,
        ),
        provider(
            "cn-ibcas", "zh", "中国科学院植物研究所",
            "植物多样性保护、外来入侵植物的监测与风险评估、生物多样性数据库和监测网络建设、"
            "植物标本馆数字化。",
            "cn", "zh en", "RESEARCH DATA TRAINING", (4, 6, 21), ("IAS", "FOR"),
            regions="142 002", capacity=2, track=5,
        ),
        provider(
            "pe-iiap", "es", "Instituto de Investigaciones de la Amazonía Peruana",
            "Investigación de la biodiversidad amazónica, inventarios biológicos, uso sostenible "
            "de recursos forestales no maderables y acuicultura de especies nativas.",
            "pe", "es", "RESEARCH DATA", (4, 9), ("SUSTAINABLE-USE", "FOR"),
            countries="pe", capacity=2, track=3,
        ),
        provider(
            "br-embrapa", "en", "Embrapa Genetic Resources (Brazil)",
            "Agricultural biodiversity and agroecology, conservation of crop genetic resources, "
            "technology transfer to smallholder farmers, seed systems.",
            "br", "pt es en", "TECHNOLOGY TRAINING", (10, 4), ("AGR",),
            regions="419 002", capacity=3, track=5,
        ),
        provider(
            "mx-conabio", "es", "Comisión Nacional para el Conocimiento y Uso de la "
            "Biodiversidad (México)",
            "Sistemas nacionales de información sobre biodiversidad, estrategia nacional sobre "
            "especies invasoras, análisis de riesgo, planificación espacial y análisis de vacíos "
            "de conservación.",
            "mx", "es en", "DATA EXPERT-ADVICE TRAINING", (6, 21, 1), ("IAS", "KM", "SPATIAL"),
            regions="419", capacity=2, track=8,
        ),
        provider(
            "fr-mnhn", "fr", "Muséum national d'Histoire naturelle",
            "Inventaires naturalistes et taxonomie, suivi des espèces exotiques envahissantes "
            "dans les îles, formation à la gestion des données de biodiversité.",
            "fr", "fr en", "RESEARCH TRAINING DATA", (4, 21, 6), ("IAS", "KM"),
            regions="002 150", capacity=3, track=7,
        ),
        provider(
            "sn-cse", "fr", "Centre de Suivi Écologique (Sénégal)",
            "Télédétection, cartographie de l'occupation des sols, suivi de la dégradation des "
            "terres et de la restauration des paysages au Sahel.",
            "sn", "fr en", "DATA TRAINING", (1, 2), ("SPATIAL", "RESTORATION"),
            regions="011", capacity=2, track=4,
        ),
        provider(
            "ke-icraf", "en", "World Agroforestry (CIFOR-ICRAF), Nairobi",
            "Agroforestry and landscape restoration, tree diversity on farms, farmer-managed "
            "natural regeneration, climate-resilient land use.",
            "ke", "en fr", "RESEARCH TRAINING TECHNOLOGY", (2, 10, 8),
            ("RESTORATION", "AGR", "CC"), regions="002 142", capacity=4, track=9,
        ),
        provider(
            "za-sanbi", "en", "South African National Biodiversity Institute",
            "National invasive species programme, biodiversity mainstreaming in land-use and "
            "spatial planning, biodiversity sector skills development.",
            "za", "en", "EXPERT-ADVICE POLICY TRAINING", (6, 1, 14), ("IAS", "SPATIAL"),
            regions="002", capacity=2, track=6,
        ),
        provider(
            "eg-desert", "ar", "المركز العربي للتنوع البيولوجي الصحراوي",
            "إدارة المناطق المحمية في البيئات الصحراوية، إعادة تأهيل الأراضي المتدهورة، "
            "بناء قدرات حراس المحميات.",
            "eg", "ar en", "TRAINING EXPERT-ADVICE", (3, 2), ("PA", "RESTORATION"),
            regions="015 145", capacity=2, track=3,
        ),
        provider(
            "jo-iucn", "en", "IUCN Regional Office for West Asia",
            "Protected area governance and management effectiveness, Green List, rights-based "
            "approaches, gender in biodiversity policy.",
            "jo", "ar en", "POLICY TRAINING", (3, 22, 23), ("PA", "TK"),
            regions="145 015", capacity=3, track=5,
        ),
        provider(
            "ru-ipee", "ru", "Институт проблем экологии и эволюции им. А. Н. Северцова",
            "Мониторинг редких видов и инвазивных чужеродных видов, популяционная экология, "
            "научное обоснование особо охраняемых природных территорий.",
            "ru", "ru en", "RESEARCH DATA", (4, 6, 3), ("IAS", "PA"),
            regions="151 143", capacity=2, track=4,
        ),
        provider(
            "kz-forest", "ru", "Казахский научно-исследовательский институт лесного хозяйства",
            "Восстановление лесов и лесоразведение в засушливых регионах, лесные питомники, "
            "семенные фонды местных пород.",
            "kz", "ru", "TRAINING TECHNOLOGY", (2, 10), ("FOR", "RESTORATION"),
            regions="143", capacity=2, track=2,
        ),
        provider(
            "in-wii", "en", "Wildlife Institute of India",
            "Wildlife management training, human-wildlife conflict mitigation, protected area "
            "management effectiveness evaluation.",
            "in", "en", "TRAINING RESEARCH", (4, 3), ("PA",),
            regions="034", capacity=3, track=8,
        ),
        provider(
            "ph-acb", "en", "ASEAN Centre for Biodiversity",
            "ASEAN Heritage Parks, regional programme on invasive alien species, clearing-house "
            "mechanism and biodiversity knowledge management, species databases.",
            "ph", "en", "TRAINING DATA EXCHANGE", (3, 6, 21), ("PA", "IAS", "KM"),
            regions="035", capacity=3, track=6,
        ),
        provider(
            "ws-sprep", "en", "Secretariat of the Pacific Regional Environment Programme",
            "Pacific invasive species management, island rodent eradications, marine protected "
            "areas, ecosystem-based adaptation to climate change.",
            "ws", "en fr", "EXPERT-ADVICE TRAINING", (6, 3, 8), ("IAS", "MAR", "CC"),
            regions="009", capacity=2, track=7,
        ),
        provider(
            "co-humboldt", "es", "Instituto Humboldt (Colombia)",
            "Sistema de información sobre biodiversidad, indicadores de biodiversidad y "
            "seguimiento, evaluación de servicios ecosistémicos.",
            "co", "es en", "DATA RESEARCH TRAINING", (21, 4, 1), ("KM", "SPATIAL"),
            regions="419", capacity=3, track=7,
        ),
        provider(
            "cr-catie", "es", "Centro Agronómico Tropical de Investigación y Enseñanza",
            "Sistemas agroforestales y silvopastoriles, café y cacao con biodiversidad, "
            "restauración de paisajes productivos, posgrado en manejo de recursos naturales.",
            "cr", "es en", "TRAINING TECHNOLOGY", (10, 2, 11), ("AGR", "RESTORATION"),
            regions="419", capacity=3, track=6,
        ),
        provider(
            "de-abs", "en", "ABS Capacity Development Initiative",
            "Access and benefit-sharing: national ABS frameworks, mutually agreed terms, "
            "biotrade value chains, implementation of the Nagoya Protocol.",
            "de", "en fr es", "POLICY TRAINING", (13,), ("ABS", "TK"),
            capacity=4, track=10, beneficiaries="GOVERNMENT IPLC",
        ),
        provider(
            "uy-biosafety", "es", "Red Latinoamericana de Bioseguridad (Uruguay)",
            "Evaluación de riesgos de organismos vivos modificados, marcos nacionales de "
            "bioseguridad, laboratorios de detección de OVM.",
            "uy", "es", "TRAINING EXPERT-ADVICE", (17,), ("BIOSAFETY",),
            regions="419", capacity=2, track=3,
        ),
        provider(
            "uk-kew", "en", "Royal Botanic Gardens, Kew",
            "Seed banking, plant conservation, native species restoration, plant "
            "identification and invasive plant training.",
            "gb", "en", "RESEARCH TRAINING DATA", (4, 2, 6), ("FOR", "RESTORATION", "IAS"),
            capacity=0, track=12,
        ),
        provider(
            "us-biofin", "en", "Biodiversity Finance Initiative (BIOFIN) technical team",
            "Biodiversity finance plans, biodiversity expenditure reviews, repurposing harmful "
            "subsidies, resource mobilization strategies.",
            "us", "en es fr", "FUNDING POLICY", (19, 18), ("FINANCE",),
            capacity=3, track=9,
        ),
        provider(
            "ar-unlp", "es", "Laboratorio de Bioinvasiones, Universidad Nacional de La Plata",
            "Ecología de especies acuáticas invasoras, mejillón dorado, bioinvasiones en ríos y "
            "humedales, manejo de especies exóticas invasoras.",
            "ar", "es", "RESEARCH TRAINING", (6,), ("IAS", "WATERS"),
            countries="ar uy py cl", capacity=2, track=2,
        ),
        provider(
            "cn-nies", "zh", "生态环境部南京环境科学研究所",
            "生态保护红线划定、生物多样性主流化、空间规划、南南合作培训项目。",
            "cn", "zh en", "POLICY TRAINING EXCHANGE", (1, 14, 20), ("SPATIAL", "CB"),
            regions="142 002", capacity=3, track=4,
        ),
        provider(
            "ma-isr", "fr", "Institut Scientifique de Rabat",
            "Zones humides et sites Ramsar, suivi des oiseaux d'eau, gestion des eaux "
            "intérieures et des lagunes côtières.",
            "ma", "fr ar", "RESEARCH TRAINING", (11, 3, 2), ("WATERS", "PA"),
            regions="015 002", capacity=2, track=3,
        ),
    ]
)  # fmt: skip

REQUESTS: list[dict[str, Any]] = [
    request(
        "pe-ias", "es", "Manejo de especies exóticas invasoras (Meta 6)",
        "El Ministerio del Ambiente necesita apoyo técnico para prevenir y controlar especies "
        "invasoras como la rana toro y la trucha en lagos altoandinos y áreas protegidas, y "
        "formar al personal de las áreas naturales protegidas.",
        "pe", "es", "TRAINING EXPERT-ADVICE", (6,), ("IAS",),
        {"cl-ieb": 2, "es-redunis": 2, "mx-conabio": 1},
    ),
    request(
        "ml-restoration", "fr", "Restauration des terres dégradées",
        "Appui pour cartographier les terres dégradées et former les agents forestiers à la "
        "restauration des paysages et à la régénération naturelle.",
        "ml", "fr", "TRAINING DATA", (2,), ("RESTORATION",),
        {"sn-cse": 2, "ke-icraf": 2, "es-redunis": 1},
    ),
    request(
        "kg-forest", "ru", "Восстановление лесов",
        "Нужна помощь в восстановлении горных лесов, создании питомников и обучении "
        "специалистов лесного хозяйства.",
        "kg", "ru", "TRAINING TECHNOLOGY", (2,), ("FOR",),
        {"kz-forest": 2},
    ),
    request(
        "jo-pa", "ar", "إدارة المحميات الصحراوية",
        "نحتاج إلى تدريب حراس المحميات وتحسين فعالية إدارة المناطق المحمية في البيئات "
        "الصحراوية.",
        "jo", "ar", "TRAINING", (3,), ("PA",),
        {"eg-desert": 2, "jo-iucn": 2},
    ),
    request(
        "vn-data", "en", "National biodiversity database and monitoring",
        "Support to design a national biodiversity database, species monitoring and a "
        "clearing-house mechanism for sharing biodiversity knowledge.",
        "vn", "en", "DATA", (21,), ("KM",),
        {"ph-acb": 2, "cn-ibcas": 1},
    ),
    request(
        "fj-rats", "en", "Rodent eradication on outer islands",
        "Expert advice to plan the eradication of invasive rats on seabird islands and "
        "biosecurity to prevent reinvasion.",
        "fj", "en", "EXPERT-ADVICE", (6,), ("IAS",),
        {"ws-sprep": 2},
    ),
    request(
        "gt-abs", "es", "Marco nacional de acceso y participación en los beneficios",
        "Asesoría para elaborar el reglamento nacional de acceso a recursos genéticos y "
        "participación justa en los beneficios conforme al Protocolo de Nagoya.",
        "gt", "es", "POLICY", (13,), ("ABS",),
        {"de-abs": 2},
    ),
    request(
        "ec-biosafety", "es", "Detección de organismos vivos modificados",
        "Capacitación del laboratorio nacional en la detección de organismos genéticamente "
        "modificados y en la evaluación de riesgos.",
        "ec", "es", "TRAINING", (17,), ("BIOSAFETY",),
        {"uy-biosafety": 2},
    ),
    request(
        "bo-finance", "es", "Plan de financiamiento de la biodiversidad",
        "Apoyo para elaborar un plan nacional de financiamiento de la biodiversidad y revisar "
        "el gasto público y los subsidios perjudiciales.",
        "bo", "es", "FUNDING", (19,), ("FINANCE",),
        {"us-biofin": 2},
    ),
    request(
        "mg-ias", "fr", "Espèces envahissantes des lacs",
        "Recherche et appui scientifique sur les espèces exotiques envahissantes des lacs et "
        "des îles, et formation des gestionnaires.",
        "mg", "fr", "RESEARCH", (6,), ("IAS",),
        {"fr-mnhn": 2, "es-redunis": 2},
    ),
    request(
        "mn-spatial", "en", "Biodiversity-inclusive spatial planning",
        "Advice on ecological protection zoning and biodiversity mainstreaming in national "
        "spatial planning.",
        "mn", "en ru", "POLICY", (1,), ("SPATIAL",),
        {"cn-nies": 2},
    ),
    request(
        "py-sib", "es", "Sistema de información sobre biodiversidad",
        "Queremos crear un sistema nacional de información sobre biodiversidad con indicadores "
        "para el seguimiento de las metas nacionales.",
        "py", "es", "DATA", (21,), ("KM",),
        {"co-humboldt": 2, "mx-conabio": 2},
    ),
    request(
        "np-hwc", "en", "Human-wildlife conflict in protected areas",
        "Training for park staff on human-wildlife conflict mitigation and management "
        "effectiveness of protected areas.",
        "np", "en", "TRAINING", (4, 3), ("PA",),
        {"in-wii": 2},
    ),
    request(
        "hn-agroforestry", "es", "Café con biodiversidad",
        "Transferencia de tecnología para sistemas agroforestales de café que conserven la "
        "biodiversidad en fincas pequeñas.",
        "hn", "es", "TECHNOLOGY TRAINING", (10,), ("AGR",),
        {"cr-catie": 2, "br-embrapa": 1},
    ),
    request(
        "cm-landscapes", "en", "Agroforestry and landscape restoration",
        "Research and training on agroforestry and restoration of degraded farm landscapes "
        "in the savanna zone.",
        "cm", "en fr", "RESEARCH TRAINING", (2, 10), ("RESTORATION", "AGR"),
        {"ke-icraf": 2, "br-embrapa": 1},
    ),
    request(
        "tn-wetlands", "fr", "Gestion des zones humides",
        "Formation au suivi des oiseaux d'eau et à la gestion des sites Ramsar côtiers.",
        "tn", "fr ar", "TRAINING", (11,), ("WATERS",),
        {"ma-isr": 2},
    ),
    request(
        "la-ias", "zh", "外来入侵植物监测",
        "需要在外来入侵植物的监测和风险评估方面开展联合研究，并建设监测数据库。",
        "la", "zh en", "RESEARCH DATA", (6,), ("IAS",),
        {"cn-ibcas": 2, "ph-acb": 1},
    ),
]  # fmt: skip
