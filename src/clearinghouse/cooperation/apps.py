from django.apps import AppConfig


class CooperationConfig(AppConfig):
    name = "clearinghouse.cooperation"
    label = "cooperation"

    def ready(self) -> None:
        # Declaring the assistance workflow registers it with the engine.
        from clearinghouse.cooperation import grants, labels, services  # noqa: F401

        labels.register()
