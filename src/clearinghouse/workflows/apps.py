from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "clearinghouse.workflows"
    label = "workflows"

    def ready(self) -> None:
        # Declaring the workflows registers them with the engine.
        from clearinghouse.workflows import publication  # noqa: F401
