from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "clearinghouse.federation.connectors"
    label = "connectors"
    verbose_name = "Federation connectors (GBIF, CBD index, PANORAMA)"
