from django.apps import AppConfig


class VocabulariesConfig(AppConfig):
    name = "clearinghouse.vocabularies"
    label = "vocabularies"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from clearinghouse.vocabularies import labels
        from clearinghouse.vocabularies.models import Concept, ConceptScheme

        def _changed(**kwargs: object) -> None:
            labels.invalidate()

        for sender in (Concept, ConceptScheme):
            post_save.connect(_changed, sender=sender, dispatch_uid=f"{sender.__name__}-save")
            post_delete.connect(_changed, sender=sender, dispatch_uid=f"{sender.__name__}-delete")
        for through in (Concept.broader.through, Concept.related.through):
            m2m_changed.connect(_changed, sender=through, dispatch_uid=f"{through.__name__}-m2m")
