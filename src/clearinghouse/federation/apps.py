from django.apps import AppConfig


class FederationConfig(AppConfig):
    name = "clearinghouse.federation"
    label = "federation"
    verbose_name = "Federation (OAI-PMH)"
