"""Vocabulary benchmarks: full import time, concept search latency, SPARQL latency.

Run: ``.venv/bin/python bench/vocab_bench.py`` (a throw-away SQLite database in a temporary
directory; nothing else is touched). Prints one line per figure."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

SEARCHES = ["benin", "Bénin", "ecosystem", "espèces", "بنن", "Кот-д'Ивуар", "贝宁", "A.1", "zzz"]
QUERIES = {
    "headline indicators of a target": """
        SELECT ?i ?label WHERE { ?i kmgbfo:isHeadlineFor kmgbf:target_3 ; skos:prefLabel ?label .
        FILTER(lang(?label) = "en") }""",
    "labels of one concept": """
        SELECT ?l WHERE { ?c dct:identifier "GBF-TARGET-02" ; skos:prefLabel ?l }""",
    "countries of a region (broader)": """
        SELECT ?c WHERE { ?c skos:broader ?r . ?r skos:notation "011" }""",
    "crosswalk: SDGs related to a GBF target": """
        SELECT ?g WHERE { kmgbf:target_3 skos:relatedMatch ?g .
        ?g skos:inScheme <https://clearinghouse.example.org/vocab/sdg> }""",
    "count concepts per scheme": """
        SELECT ?s (COUNT(?c) AS ?n) WHERE { ?c skos:inScheme ?s } GROUP BY ?s""",
    "text search in labels (FILTER regex)": """
        SELECT ?c WHERE { ?c skos:prefLabel ?l . FILTER(regex(str(?l), "forest", "i")) }""",
}


def _times(fn: Callable[[], Any], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _line(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    print(f"  {name:<42} median {statistics.median(ms):8.2f} ms   p95 {p95:8.2f} ms")


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="vocab-bench-")
    os.environ["CLEARINGHOUSE_DATA_DIR"] = tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from clearinghouse.vocabularies import search, skos, sparql
    from clearinghouse.vocabularies.models import Concept, ConceptScheme
    from clearinghouse.vocabularies.seed import load_all

    print("Vocabulary benchmark (SQLite, one process)")
    start = time.perf_counter()
    counts = load_all()
    concepts = sum(v for k, v in counts.items() if k != "crosswalk mappings")
    print(
        f"seed load (GBF + SDG + Aichi + M49 + lists, {concepts} concepts, "
        f"{counts['crosswalk mappings']} crosswalk rows): {time.perf_counter() - start:.2f} s"
    )
    from clearinghouse.vocabularies import crosswalk
    from clearinghouse.vocabularies.seed import DATA

    shipped = (DATA / "crosswalk-gbf.csv").read_bytes()
    ms = _times(lambda: crosswalk.import_crosswalk(shipped), 5)
    print(f"crosswalk re-import (86 rows, nothing new): median {statistics.median(ms):.0f} ms")

    start = time.perf_counter()
    graph = skos.build_graph()
    print(
        f"build graph from database ({len(graph)} triples): "
        f"{(time.perf_counter() - start) * 1000:.0f} ms"
    )
    text = skos.serialize(graph, "ttl")
    for fmt in ("ttl", "rdf", "jsonld", "csv"):
        start = time.perf_counter()
        data = skos.export(fmt)
        print(
            f"export {fmt:<6} ({len(data) / 1e6:.2f} MB): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )

    Concept.objects.all().delete()
    ConceptScheme.objects.all().delete()
    start = time.perf_counter()
    parsed = skos.read(text, "ttl")
    parse_s = time.perf_counter() - start
    report = skos.import_graph(parsed)
    total = time.perf_counter() - start
    print(
        f"full import, empty database ({report.concepts} concepts, Turtle): {total:.2f} s "
        f"(parse {parse_s:.2f} s, check + store {total - parse_s:.2f} s)"
    )
    start = time.perf_counter()
    skos.import_graph(skos.read(text, "ttl"))
    print(f"full re-import, all concepts exist (update): {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    search.search("warm-up")
    print(f"search index build: {(time.perf_counter() - start) * 1000:.0f} ms")
    print("concept search (all languages, warm index):")
    for q in SEARCHES:
        _line(repr(q), _times(lambda q=q: search.search(q), 50))

    start = time.perf_counter()
    sparql.graph()
    print(f"SPARQL graph build (cold cache): {(time.perf_counter() - start) * 1000:.0f} ms")
    print("SPARQL (warm graph, parse + evaluate + serialise JSON):")
    for name, q in QUERIES.items():
        _line(name, _times(lambda q=q: sparql.run(q)[0].serialize(format="json"), 20))


if __name__ == "__main__":
    main()
