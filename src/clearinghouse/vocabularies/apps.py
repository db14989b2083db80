from django.apps import AppConfig


class VocabulariesConfig(AppConfig):
    name = "clearinghouse.vocabularies"
    label = "vocabularies"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from clearinghouse.vocabularies import labels
        from clearinghouse.vocabularies.models import Concept

        def _changed(**kwargs: object) -> None:
            labels.invalidate()

        post_save.connect(_changed, sender=Concept, dispatch_uid="concept-labels-save")
        post_delete.connect(_changed, sender=Concept, dispatch_uid="concept-labels-delete")
