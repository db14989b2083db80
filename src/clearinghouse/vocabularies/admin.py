from django.contrib import admin

from clearinghouse.vocabularies.models import Concept, ConceptScheme

admin.site.register(ConceptScheme)


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ("identifier", "scheme", "notation", "deprecated")
    list_filter = ("scheme", "deprecated")
    search_fields = ("identifier",)
