"""Signals other apps (search) listen to. Sent after the database commit."""

from django.dispatch import Signal

# A record's public view changed (published, republished, deleted): kwargs ``record_id``.
public_changed = Signal()
