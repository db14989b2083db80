"""E-mail each saved search's owner the records newly published since the last alert, with
links to them, to the search and to unsubscribe (``search.alerts``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone, translation

from clearinghouse.records.models import Record
from clearinghouse.search import alerts, service
from clearinghouse.search.models import SavedSearch
from clearinghouse.search.text import QueryError


class Command(BaseCommand):
    help = "E-mail saved-search owners the records newly published that match their searches."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = 0
        for saved in SavedSearch.objects.select_related("user", "portal"):
            now = timezone.now()
            since = saved.last_alert_at or saved.created_at
            with translation.override(saved.language):
                try:
                    results = service.search(
                        saved.query,
                        saved.portal,
                        # hybrid: records close in meaning too (lexical without the model)
                        mode="hybrid" if saved.mode in ("hybrid", "semantic") else "lexical",
                        filters=saved.filters,
                        sort="date",
                        page_size=service.MAX_PAGE_SIZE,
                        language=saved.language,
                    )
                except QueryError:
                    continue
                fresh = set(
                    Record.objects.filter(
                        pk__in=[h.record_id for h in results.hits],
                        published_at__gt=since,
                        deleted_at__isnull=True,
                    ).values_list("pk", flat=True)
                )
                new = [h for h in results.hits if h.record_id in fresh]
                if new and saved.user.email:
                    alerts.send(saved, new)
                    sent += 1
            saved.last_alert_at = now
            saved.save(update_fields=["last_alert_at"])
        self.stdout.write(f"{sent} alert(s) sent")
