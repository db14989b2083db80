"""JSON over HTTP for the connectors: retries on network failures and HTTP 5xx/429, and one
clear, translatable message for everything else (HTTP 4xx, a body that is not JSON)."""

from __future__ import annotations

import gzip
import http.client
import json
import time
import zlib
from collections.abc import Sequence
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.utils.translation import gettext as _

USER_AGENT = "Clearinghouse-connector/0.1"
Params = Sequence[tuple[str, str]]


class ConnectorError(Exception):
    """A source could not be read, or answered something unusable. ``transient`` errors
    (network, timeouts, HTTP 5xx/429) are worth trying again later; the others are not."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def build_url(url: str, params: Params) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(list(params)) if params else url


def get_json(
    url: str,
    params: Params = (),
    timeout: float = 30,
    retries: int = 2,
    backoff_s: float = 1.0,
) -> Any:
    """GET ``url`` with ``params`` and decode its JSON body."""
    full = build_url(url, params)
    if not full.startswith(("http://", "https://")):
        raise ConnectorError(_("Not an http(s) address: %(url)s") % {"url": url})
    for attempt in range(retries + 1):
        try:
            body = _get(full, timeout)
            break
        except ConnectorError as error:
            if not error.transient or attempt == retries:
                raise
            time.sleep(backoff_s * 2**attempt)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        start = body[:60].decode("utf-8", "replace")
        raise ConnectorError(
            _("%(url)s did not answer JSON (%(error)s); the answer starts with %(start)r")
            % {"url": full, "error": error, "start": start}
        ) from None


def _get(full: str, timeout: float) -> bytes:
    request = Request(
        full,
        headers={
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "User-Agent": USER_AGENT,
        },
    )
    try:
        with urlopen(request, timeout=timeout) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return bytes(body)
    except HTTPError as error:
        message = _("%(url)s answered HTTP %(status)s %(reason)s") % {
            "url": full,
            "status": error.code,
            "reason": error.reason,
        }
        raise ConnectorError(message, transient=error.code >= 500 or error.code == 429) from None
    except (URLError, OSError, http.client.HTTPException, EOFError, zlib.error) as error:
        reason = getattr(error, "reason", None) or error
        raise ConnectorError(
            _("Could not read %(url)s: %(error)s") % {"url": full, "error": reason},
            transient=True,
        ) from None


def expect(condition: bool, url: str, what: str) -> None:
    """Refuse an answer whose shape is not the documented one."""
    if not condition:
        raise ConnectorError(
            _("Unexpected answer from %(url)s: %(what)s") % {"url": url, "what": what}
        )
