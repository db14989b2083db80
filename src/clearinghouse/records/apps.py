from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "clearinghouse.records"
    label = "records"
