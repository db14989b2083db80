from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "clearinghouse.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        from clearinghouse.search import consistency, indexing

        indexing.connect()
        consistency.connect()
