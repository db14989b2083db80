"""Filters showing the requests' stored codes in the reader's language."""

from __future__ import annotations

from django import template

from clearinghouse.workflows import labels

register = template.Library()

register.filter("request_kind", labels.kind_label)
register.filter("request_state", labels.state_label)
register.filter("request_action", labels.action_label)
