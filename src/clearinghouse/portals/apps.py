from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "clearinghouse.portals"
    label = "portals"
    verbose_name = "Portals"
