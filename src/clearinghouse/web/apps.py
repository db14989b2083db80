from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "clearinghouse.web"
    label = "web"
