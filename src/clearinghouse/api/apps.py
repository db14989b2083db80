from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clearinghouse.api"
    label = "api"
