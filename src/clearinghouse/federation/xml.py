"""Fast XML text building: escaping, and removal of characters XML 1.0 cannot carry."""

from __future__ import annotations

import datetime as dt
import re

# Everything outside XML 1.0's Char production (control characters, lone surrogates, FFFE/F).
_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value: str) -> str:
    """Escape character data."""
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if _INVALID.search(value):
        value = _INVALID.sub("", value)
    return value


def attr(value: str) -> str:
    """Escape an attribute value (to be written between double quotes)."""
    return text(value).replace('"', "&quot;")


def element(name: str, value: str, **attrs: str) -> str:
    """``<name a="v">value</name>``; an attribute ``xml__lang`` is written ``xml:lang``."""
    if not attrs:
        return f"<{name}>{text(value)}</{name}>"
    extra = "".join(f' {k.replace("__", ":")}="{attr(v)}"' for k, v in attrs.items())
    return f"<{name}{extra}>{text(value)}</{name}>"


def utc_seconds(moment: dt.datetime) -> str:
    """An OAI datestamp (second granularity, UTC)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
