"""SKOS concept schemes and concepts. Records store a concept's stable identifier
(e.g. ``GBF-TARGET-02``), never its label."""

from __future__ import annotations

from django.db import models


class ConceptScheme(models.Model):
    identifier = models.SlugField(max_length=64, unique=True)  # e.g. "gbf-targets"
    uri = models.URLField(max_length=400, unique=True)
    titles = models.JSONField(default=dict)  # {lang: title}
    version = models.CharField(max_length=32, blank=True, default="")
    # SKOS documentation notes on the scheme: {"historyNote": {lang: text}, "note": {…}}
    notes = models.JSONField(default=dict, blank=True)
    modified = models.DateTimeField(auto_now=True)
    # National schemes belong to one portal; global ones to none.
    portal = models.ForeignKey(
        "portals.Portal", null=True, blank=True, on_delete=models.CASCADE, related_name="schemes"
    )

    class Meta:
        ordering = ["identifier"]

    def __str__(self) -> str:
        return self.identifier


class Concept(models.Model):
    scheme = models.ForeignKey(ConceptScheme, on_delete=models.CASCADE, related_name="concepts")
    identifier = models.CharField(max_length=128, unique=True)  # e.g. "GBF-TARGET-02"
    uri = models.URLField(max_length=400, unique=True)
    notation = models.CharField(max_length=64, blank=True, default="")
    pref_labels = models.JSONField(default=dict)  # {lang: label}
    alt_labels = models.JSONField(default=dict, blank=True)  # {lang: [labels]}
    hidden_labels = models.JSONField(default=dict, blank=True)  # {lang: [labels]}
    definitions = models.JSONField(default=dict, blank=True)  # {lang: text}
    broader = models.ManyToManyField("self", symmetrical=False, related_name="narrower", blank=True)
    related = models.ManyToManyField("self", symmetrical=True, blank=True)
    # Mapping links to concepts elsewhere: [{"relation": "exactMatch", "uri": "http://..."}]
    mappings = models.JSONField(default=list, blank=True)
    sort_key = models.CharField(max_length=64, blank=True, default="")
    deprecated = models.BooleanField(default=False)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces"
    )
    # Free data; ``extra["rdf"]`` keeps further RDF statements about the concept as
    # [predicate URI, object in N3] pairs (e.g. the KMGBF ``:isHeadlineFor`` roles).
    extra = models.JSONField(default=dict, blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scheme", "sort_key", "identifier"]

    def __str__(self) -> str:
        return self.identifier

    def label(self, language: str) -> str:
        from clearinghouse.records.i18n import pick

        return pick(self.pref_labels, language).text or self.identifier
