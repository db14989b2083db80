"""E-mail each saved search's owner the records newly published since the last alert."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.core.management.base import BaseCommand
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clearinghouse.records.models import Record
from clearinghouse.search import service
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
                        mode="lexical",
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
                    lines = [f"- {h.title} ({h.type_label}, {h.uid})" for h in new]
                    send_mail(
                        _("New records for your saved search: %s") % saved.query,
                        "\n".join(lines),
                        None,
                        [saved.user.email],
                    )
                    sent += 1
            saved.last_alert_at = now
            saved.save(update_fields=["last_alert_at"])
        self.stdout.write(f"{sent} alert(s) sent")
