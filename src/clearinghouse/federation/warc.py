"""Web archiving: crawl a portal's public pages over HTTP and write a WARC 1.1 file.

The crawl is bounded and polite: same host only (and the same port), a whitelist of public
paths (home, network, browse pages with their paging, record pages and their revisions, files,
static assets; vocabulary pages on request), no query strings but ``page``, a maximum number
of fetches, a maximum response size, anonymous requests only (no cookies, so no drafts: the
portal never shows a draft to an anonymous reader).

Seeds: ``/``, each language's home page, and, when the host is a portal of this deployment,
each published record's page in each of the portal's languages (``--record`` narrows the
archive to one record: its pages and files). Links found in the HTML are followed.

Output: gzip-compressed WARC 1.1 (``warcio``): a ``warcinfo`` record, then a ``request`` and a
``response`` record for every fetch (redirects and errors included, as served). The file is
written to ``OUTPUT.part`` and renamed when complete; a run interrupted for any reason leaves
the ``.part`` file, and the next run with the same output resumes it: it keeps every complete
record, cuts a torn one off and fetches only the URLs not archived yet."""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import os
import re
import socket
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urldefrag, urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import html as lxml_html
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import clearinghouse

USER_AGENT = "Clearinghouse-snapshot/1 (+https://www.cbd.int/chm)"
LANGS = "|".join(code for code, _name in settings.LANGUAGES)
ALLOWED = [
    re.compile(p)
    for p in (
        r"^/$",
        rf"^/({LANGS})/$",
        rf"^/({LANGS})/network/$",
        rf"^/({LANGS})/records/[\w-]+/$",
        rf"^/({LANGS})/r/[\w.-]+/(revisions/)?$",
        rf"^/({LANGS})/files/\d+/$",
        r"^/static/",
    )
]
VOCAB = re.compile(rf"^/({LANGS})/vocab/")
HOP_BY_HOP = {"transfer-encoding", "connection", "keep-alive", "content-length"}


class SnapshotError(Exception):
    """A snapshot cannot start (bad arguments); nothing was written."""


@dataclass
class Limits:
    max_fetches: int = 5000
    max_bytes: int = 100 * 1024 * 1024  # per response
    timeout_s: float = 30.0
    delay_s: float = 0.0
    vocab: bool = False
    languages: frozenset[str] = frozenset()  # language prefixes to follow (empty: all six)
    workers: int = 1  # fetches at a time


@dataclass
class Result:
    path: Path
    fetched: int = 0  # in this run
    resumed: int = 0  # already in the .part file
    statuses: dict[int, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # too large, unreachable
    truncated: bool = False  # stopped at max_fetches

    @property
    def total(self) -> int:
        return self.fetched + self.resumed


def _normalise(url: str) -> str:
    url, _frag = urldefrag(url)
    return url


def allowed(url: str, base: Any, limits: Limits) -> bool:
    """Same scheme, host and port as the base; a public path; no query but ``page``."""
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return False
    if parts.query and not re.fullmatch(r"page=\d{1,5}", parts.query):
        return False
    if parts.query and not re.match(rf"^/({LANGS})/records/", parts.path):
        return False
    path = parts.path or "/"
    prefix = re.match(rf"^/({LANGS})/", path)
    if prefix and limits.languages and prefix.group(1) not in limits.languages:
        return False  # the interface's other languages: the portal's own are enough
    if limits.vocab and VOCAB.match(path) and not parts.query:
        return True
    return any(p.match(path) for p in ALLOWED)


def seeds(base_url: str, record_uid: str = "") -> tuple[list[str], list[str]]:
    """Start URLs: the root and the homes, plus the published records' pages when the host
    is one of this deployment's portals (only the record's pages with ``record_uid``); and
    the portal's languages (empty when the host is not a portal of this deployment)."""
    from clearinghouse.portals.models import PortalHost
    from clearinghouse.records.services import visible_records

    base = base_url.rstrip("/")
    host = (urlsplit(base_url).hostname or "").lower()
    link = PortalHost.objects.filter(host=host).select_related("portal").first()
    if link is None:
        if record_uid:
            raise SnapshotError(
                _("%(host)s is not a portal of this deployment: --record needs one.")
                % {"host": host}
            )
        return [f"{base}/"], []
    portal = link.portal
    languages = list(portal.languages or [portal.default_language])
    records = visible_records(portal).order_by("id")
    if record_uid:
        records = records.filter(uid=record_uid)
        if not records.exists():
            raise SnapshotError(
                _("No published record %(uid)s on the portal %(host)s.")
                % {"uid": record_uid, "host": host}
            )
        return [f"{base}/{lang}/r/{record_uid}/" for lang in languages], languages
    urls = [f"{base}/"] + [f"{base}/{lang}/" for lang in languages]
    for uid in records.values_list("uid", flat=True).iterator():
        urls += [f"{base}/{lang}/r/{uid}/" for lang in languages]
    return urls, languages


def links(url: str, content_type: str, body: bytes) -> list[str]:
    """Links, stylesheets, scripts and images of an HTML page (absolute, no fragment)."""
    if "html" not in content_type or not body:
        return []
    try:
        doc = lxml_html.document_fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    out = []
    for _elem, attr, link, _pos in doc.iterlinks():
        if attr in {"href", "src"}:
            out.append(_normalise(urljoin(url, link.strip())))
    return out


def _location(url: str, status: int, headers: list[tuple[str, str]]) -> str:
    if status in {301, 302, 303, 307, 308}:
        for name, value in headers:
            if name.lower() == "location":
                return _normalise(urljoin(url, value))
    return ""


@dataclass
class Fetched:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    ip: str


def fetch(url: str, limits: Limits) -> Fetched:
    """One anonymous GET (no redirects followed, identity encoding)."""
    parts = urlsplit(url)
    cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = cls(parts.hostname or "", parts.port, timeout=limits.timeout_s)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request(
            "GET",
            path,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity", "Accept": "*/*"},
        )
        response = conn.getresponse()
        body = response.read(limits.max_bytes + 1)
        if len(body) > limits.max_bytes:
            raise OverflowError(url)
        ip = ""
        if conn.sock is not None:
            try:
                ip = conn.sock.getpeername()[0]
            except OSError:
                ip = ""
        return Fetched(response.status, response.reason, response.getheaders(), body, ip)
    finally:
        conn.close()


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"GET {path} HTTP/1.1"


def write_pair(writer: WARCWriter, url: str, got: Fetched) -> None:
    parts = urlsplit(url)
    request_headers = StatusAndHeaders(
        _request_line(url),
        [
            ("Host", parts.netloc),
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "identity"),
        ],
        is_http_request=True,
    )
    # the body is stored de-chunked: say so with its real length
    headers = [(k, v) for k, v in got.headers if k.lower() not in HOP_BY_HOP]
    headers.append(("Content-Length", str(len(got.body))))
    response_headers = StatusAndHeaders(f"{got.status} {got.reason}", headers, protocol="HTTP/1.1")
    extra = {"WARC-IP-Address": got.ip} if got.ip else None
    response = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(got.body),
        length=len(got.body),
        http_headers=response_headers,
        warc_headers_dict=extra,
    )
    request = writer.create_warc_record(url, "request", http_headers=request_headers)
    writer.write_request_response_pair(request, response)


@dataclass
class Resumed:
    done: set[str] = field(default_factory=set)
    info: dict[str, str] = field(default_factory=dict)  # the warcinfo fields, if any
    archived: list[tuple[str, Fetched]] = field(default_factory=list)


def _resume(part: Path) -> Resumed:
    """What an interrupted run left in ``part``: the URLs with a complete request/response
    pair, whether the warcinfo record is there, and the archived responses (to follow their
    links again). Anything after the last complete pair (a torn record) is cut off."""
    done: set[str] = set()
    info: dict[str, str] = {}
    good_end = 0
    pending: dict[str, str] = {}  # request seen, response not yet (or the reverse)
    responses: dict[str, Fetched] = {}
    with part.open("rb") as fh:
        iterator = ArchiveIterator(fh)
        try:
            for record in iterator:
                kind = record.rec_type
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                body = record.content_stream().read()
                end = iterator.get_record_offset() + iterator.get_record_length()
                if kind == "response" and record.http_headers is not None:
                    status = int(record.http_headers.get_statuscode() or 0)
                    responses[url] = Fetched(status, "", record.http_headers.headers, body, "")
                if kind == "warcinfo":
                    for line in body.decode("utf-8", "replace").splitlines():
                        key, _sep, value = line.partition(":")
                        info[key.strip()] = value.strip()
                    good_end = end
                elif kind in {"request", "response"}:
                    other = "request" if kind == "response" else "response"
                    if pending.get(url) == other:
                        del pending[url]
                        done.add(url)
                        good_end = end
                    else:
                        pending[url] = kind
        except Exception:  # a torn gzip member or record: cut it off below
            pass
    with part.open("r+b") as fh:
        fh.truncate(good_end)
    return Resumed(done, info, [(u, responses[u]) for u in done if u in responses])


def outlinks(url: str, got: Fetched) -> list[str]:
    content_type = dict((k.lower(), v) for k, v in got.headers).get("content-type", "")
    found = links(url, content_type, got.body)
    target = _location(url, got.status, got.headers)
    return [*found, target] if target else found


class Progress:
    """A one-line progress bar on a terminal; a line every 50 fetches otherwise."""

    def __init__(self, stream: IO[str] | None) -> None:
        self.stream = stream
        self.tty = bool(stream is not None and stream.isatty())

    def update(self, done: int, queued: int, size: int, last: bool = False) -> None:
        if self.stream is None:
            return
        total = done + queued
        width = 30
        filled = int(width * done / total) if total else width
        line = _("%(done)s/%(total)s fetched, %(mb).1f MB") % {
            "done": done,
            "total": total,
            "mb": size / 1024 / 1024,
        }
        if self.tty:
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {line}" + ("\n" if last else ""))
            self.stream.flush()
        elif last or done % 50 == 0:
            self.stream.write(line + "\n")


def snapshot(
    base_url: str,
    output: Path,
    record_uid: str = "",
    limits: Limits | None = None,
    progress: IO[str] | None = None,
    fetcher: Callable[[str, Limits], Fetched] = fetch,
) -> Result:
    """Crawl ``base_url`` (``http[s]://host[:port]``) into the WARC file ``output``."""
    limits = limits or Limits()
    base = urlsplit(base_url if "://" in base_url else f"https://{base_url}")
    if base.scheme not in {"http", "https"} or not base.hostname:
        raise SnapshotError(
            _("%(url)s is not a portal address (http:// or https:// and a host name).")
            % {"url": base_url}
        )
    base_url = f"{base.scheme}://{base.netloc}"
    base = urlsplit(base_url)
    start, languages = seeds(base_url, record_uid)
    if languages and not limits.languages:
        limits = dataclasses.replace(limits, languages=frozenset(languages))
    part = output.with_name(output.name + ".part")
    output.parent.mkdir(parents=True, exist_ok=True)
    resumed = _resume(part) if part.exists() else Resumed()
    done, archived, has_info = resumed.done, resumed.archived, bool(resumed.info)
    if has_info and (resumed.info.get("isPartOf"), resumed.info.get("record", "")) != (
        base_url,
        record_uid,
    ):
        raise SnapshotError(
            _(
                "%(part)s is an interrupted snapshot of %(other)s; run the same command again "
                "to finish it, or delete the file."
            )
            % {
                "part": part,
                "other": " ".join(
                    v for v in (resumed.info.get("isPartOf"), resumed.info.get("record")) if v
                ),
            }
        )
    result = Result(output, resumed=len(done))
    queue: deque[str] = deque()
    queued: set[str] = set()

    only = set(start) if record_uid else None

    def enqueue(urls: Iterable[str]) -> None:
        for url in urls:
            if url in queued or not allowed(url, base, limits):
                continue
            path = urlsplit(url).path
            if only is not None and not (
                url in only or "/files/" in path or path.startswith("/static/")
            ):
                continue  # one record: its pages, their files and assets only
            queued.add(url)
            if url not in done:
                queue.append(url)

    enqueue(start)
    for url, got in archived:  # resuming: follow the archived pages' links again
        enqueue(outlinks(url, got))
    bar = Progress(progress)
    size = part.stat().st_size if part.exists() else 0
    with part.open("ab") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        if not has_info:
            writer.write_record(_warcinfo(writer, output.name, base_url, record_uid, limits))
        with ThreadPoolExecutor(max_workers=limits.workers) as pool:
            running: set[Future[tuple[str, Fetched | None, str]]] = set()
            attempts = result.resumed
            while queue or running:
                while queue and len(running) < limits.workers:
                    if attempts >= limits.max_fetches:
                        result.truncated = True
                        queue.clear()
                        break
                    running.add(pool.submit(_attempt, fetcher, queue.popleft(), limits))
                    attempts += 1
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    url, answer, error = future.result()  # re-raises what stopped a fetch
                    if answer is None:
                        result.skipped.append(
                            _("%(url)s: larger than the limit") % {"url": url}
                            if error == "too large"
                            else f"{url}: {error}"
                        )
                        continue
                    write_pair(writer, url, answer)
                    fh.flush()
                    done.add(url)
                    result.fetched += 1
                    result.statuses[answer.status] = result.statuses.get(answer.status, 0) + 1
                    size += len(answer.body)
                    enqueue(outlinks(url, answer))
                    bar.update(result.total, len(queue) + len(running), size)
                if limits.delay_s:
                    time.sleep(limits.delay_s)
    bar.update(result.total, 0, size, last=True)
    os.replace(part, output)
    return result


def _attempt(
    fetcher: Callable[[str, Limits], Fetched], url: str, limits: Limits
) -> tuple[str, Fetched | None, str]:
    """One fetch in a worker thread: the answer, or why there is none."""
    try:
        return url, fetcher(url, limits), ""
    except OverflowError:
        return url, None, "too large"
    except (OSError, http.client.HTTPException) as exc:
        return url, None, str(exc) or exc.__class__.__name__


def _warcinfo(
    writer: WARCWriter, filename: str, base_url: str, record_uid: str, limits: Limits
) -> Any:
    info = {
        "software": f"Clearinghouse {clearinghouse.__version__} "
        f"(warcio; Python {sys.version.split()[0]})",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": base_url,
        "description": (
            f"Public pages of {base_url}" + (f", record {record_uid}" if record_uid else "")
        ),
        "http-header-user-agent": USER_AGENT,
        "hostname": socket.gethostname(),
        "datetime": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "limits": f"max-fetches={limits.max_fetches}, max-bytes={limits.max_bytes}, "
        f"workers={limits.workers}",
    }
    if record_uid:
        info["record"] = record_uid
    return writer.create_warcinfo_record(filename, info)
