"""``clearinghouse snapshot``: a live server on loopback is crawled into a WARC 1.1 file, which is
read back with warcio's ArchiveIterator: warcinfo, request/response pairs, statuses, the record
page's body in each language, the attached file, no private draft, the bounds, and resuming
an interrupted run."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from warcio.archiveiterator import ArchiveIterator

from clearinghouse.federation import warc
from clearinghouse.portals.models import Role
from clearinghouse.records import services
from clearinghouse.records.attachments import add_attachment
from tests.factories import make_portal, make_user, valid_document

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
def site(live_server: Any, vocab: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """Benin's portal on the live server's host, with two published records (one with a
    file) and a private draft."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    portal = make_portal("bj", "BJ", hosts=["localhost"])
    jean = make_user(portal, Role.PUBLISHING_AUTHORITY, username="jean")
    amina = make_user(portal, Role.AUTHORIZED_USER, username="amina")
    guide = services.create_draft(portal, amina, "resource", valid_document("resource"))
    add_attachment(guide, amina, SimpleUploadedFile("guide.pdf", PDF))
    services.publish(guide, jean)
    news = services.create_draft(
        portal, amina, "news", valid_document("news", title={"en": "Wetlands day"})
    )
    services.publish(news, jean)
    secret = services.create_draft(
        portal, amina, "news", valid_document("news", title={"en": "Confidential budget cut"})
    )
    port = live_server.url.rsplit(":", 1)[1]
    return {
        "url": f"http://localhost:{port}",
        "guide": guide,
        "news": news,
        "secret": secret,
    }


def read(path: Path) -> list[Any]:
    """Every record as (type, target URI, status or None, body, WARC headers); the block
    and payload digests are checked as ``warcio check`` does."""
    out = []
    with path.open("rb") as fh:
        for record in ArchiveIterator(fh, check_digests=True):
            status = record.http_headers.get_statuscode() if record.http_headers else None
            body = record.content_stream().read()
            checker = record.digest_checker
            assert checker.passed is not False, checker.problems
            if record.rec_type == "response":
                assert checker.passed is True  # digests present and right
            out.append(
                (
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI"),
                    status,
                    body,
                    record.rec_headers,
                )
            )
    return out


def snapshot(*args: str) -> str:
    out = io.StringIO()
    call_command("snapshot", *args, "--quiet", stdout=out)
    return out.getvalue()


def test_snapshot_of_a_live_portal(site: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "benin.warc.gz"
    output = snapshot(str(path), "--portal", site["url"])
    assert "pages archived" in output
    assert not (tmp_path / "benin.warc.gz.part").exists()
    with path.open("rb") as fh:
        assert fh.read(2) == b"\x1f\x8b"  # gzip
    records = read(path)
    kind, _uri, _status, body, headers = records[0]
    assert kind == "warcinfo"
    assert headers.protocol == "WARC/1.1"
    assert b"format: WARC File Format 1.1" in body
    assert f"isPartOf: {site['url']}".encode() in body
    assert all(h.protocol == "WARC/1.1" for *_x, h in records)

    responses = {u: (status, body) for kind, u, status, body, _h in records if kind == "response"}
    requests = [uri for kind, uri, *_rest in records if kind == "request"]
    assert sorted(requests) == sorted(responses)  # one request per response
    base = site["url"]
    assert responses[f"{base}/"][0] == "302"  # the root redirects to a language
    for lang in ("fr", "en"):
        assert responses[f"{base}/{lang}/"][0] == "200"
    guide, news = site["guide"], site["news"]
    status, body = responses[f"{base}/en/r/{guide.uid}/"]
    assert status == "200"
    assert b"Mangrove restoration guide" in body
    french = responses[f"{base}/fr/r/{guide.uid}/"][1]
    assert b"Guide de restauration des mangroves" in french
    assert b"Wetlands day" in responses[f"{base}/en/r/{news.uid}/"][1]
    files = [uri for uri in responses if "/files/" in uri]
    assert files and all(responses[uri] == ("200", PDF) for uri in files)
    assert any("/static/" in uri for uri in responses)  # the stylesheet, for replay
    assert any("/records/" in uri for uri in responses)  # browse pages, linked from home
    # nothing private, nothing outside the public area
    secret = site["secret"]
    assert not any(secret.uid in uri for uri in responses)
    assert not any(b"Confidential budget cut" in body for _s, body in responses.values())
    assert not any("/editor/" in uri or "/accounts/" in uri for uri in responses)
    assert all(uri.startswith(base) for uri in responses)
    # the portal's languages only, not the interface's other four
    assert not [u for u in responses if any(f"{base}/{x}/" in u for x in ("es", "ar", "ru", "zh"))]

    # the same command again replaces the file with a fresh, complete one
    again = snapshot(str(path), "--portal", site["url"])
    assert again.split(":")[1] == output.split(":")[1]
    assert len(read(path)) == len(records)

    # four fetches at a time: the same pages and bodies, in another order
    parallel = tmp_path / "parallel.warc.gz"
    snapshot(str(parallel), "--portal", site["url"], "--workers", "4")
    got = {u: (status, body) for kind, u, status, body, _h in read(parallel) if kind == "response"}
    assert set(got) == set(responses)
    assert got[f"{base}/en/r/{guide.uid}/"][0] == "200"
    assert b"Mangrove restoration guide" in got[f"{base}/en/r/{guide.uid}/"][1]
    assert all(got[u] == responses[u] for u in files)


def test_one_record(site: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "guide.warc.gz"
    guide = site["guide"]
    snapshot(str(path), "--portal", site["url"], "--record", guide.uid)
    uris = {uri for kind, uri, *_r in read(path) if kind == "response"}
    pages = {uri for uri in uris if "/static/" not in uri and "/files/" not in uri}
    assert pages == {f"{site['url']}/{lang}/r/{guide.uid}/" for lang in ("fr", "en")}
    assert any("/files/" in uri for uri in uris)
    with pytest.raises(CommandError, match="No published record"):
        snapshot(str(tmp_path / "x.warc.gz"), "--portal", site["url"], "--record", "bj-nothing")
    with pytest.raises(CommandError, match="not a portal address"):
        snapshot(str(tmp_path / "x.warc.gz"), "--portal", "ftp://localhost")
    assert not (tmp_path / "x.warc.gz").exists()


def test_bounded(site: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "small.warc.gz"
    output = snapshot(str(path), "--portal", site["url"], "--max-pages", "3")
    assert "stopped at --max-pages 3" in output
    assert sum(1 for kind, *_r in read(path) if kind == "response") == 3


def test_interrupted_run_is_resumed(site: dict[str, Any], tmp_path: Path) -> None:
    """A run killed mid-way leaves OUTPUT.part with a torn record; the next run keeps the
    complete pairs, cuts the torn end and fetches only what is missing."""
    full = tmp_path / "full.warc.gz"
    snapshot(str(full), "--portal", site["url"])
    complete = {uri for kind, uri, *_r in read(full) if kind == "response"}

    path = tmp_path / "benin.warc.gz"
    calls: list[str] = []

    def dying(url: str, limits: warc.Limits) -> warc.Fetched:
        if len(calls) == 4:
            raise KeyboardInterrupt
        calls.append(url)
        return warc.fetch(url, limits)

    with pytest.raises(KeyboardInterrupt):
        warc.snapshot(site["url"], path, fetcher=dying)
    part = tmp_path / "benin.warc.gz.part"
    assert part.exists() and not path.exists()
    # another crawl into the same output is refused, and leaves the interrupted one alone
    with pytest.raises(warc.SnapshotError, match="is an interrupted snapshot of http://local"):
        warc.snapshot(site["url"], path, record_uid=site["guide"].uid)

    with part.open("ab") as fh:  # a torn record, as a kill during a write leaves
        fh.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n")[:20])

    fetched: list[str] = []

    def counting(url: str, limits: warc.Limits) -> warc.Fetched:
        fetched.append(url)
        return warc.fetch(url, limits)

    result = warc.snapshot(site["url"], path, fetcher=counting)
    assert result.resumed == 4
    assert not set(fetched) & set(calls)  # nothing fetched twice
    records = read(path)
    uris = [uri for kind, uri, *_r in records if kind == "response"]
    assert sorted(uris) == sorted(complete) and len(uris) == len(set(uris))
    assert sum(1 for kind, *_r in records if kind == "warcinfo") == 1


def test_other_hosts_and_paths_are_not_followed() -> None:
    limits = warc.Limits()
    base = warc.urlsplit("http://localhost:8000")
    assert warc.allowed("http://localhost:8000/en/r/bj-1/", base, limits)
    assert warc.allowed("http://localhost:8000/en/records/resource/?page=2", base, limits)
    assert not warc.allowed("http://localhost:8001/en/", base, limits)  # another port
    assert not warc.allowed("http://example.org/en/", base, limits)
    assert not warc.allowed("http://localhost:8000/en/editor/", base, limits)
    assert not warc.allowed("http://localhost:8000/admin/", base, limits)
    assert not warc.allowed("http://localhost:8000/en/search?q=x", base, limits)
    assert not warc.allowed("http://localhost:8000/en/records/resource/?format=csv", base, limits)
    assert not warc.allowed("http://localhost:8000/en/vocab/", base, limits)
    assert warc.allowed("http://localhost:8000/en/vocab/", base, warc.Limits(vocab=True))


def test_unknown_portal_host_is_crawled_from_the_root(live_server: Any, tmp_path: Path) -> None:
    make_portal("central", "", hosts=["central.invalid"], kind="central", is_default=True)
    port = live_server.url.rsplit(":", 1)[1]
    path = tmp_path / "default.warc.gz"
    snapshot(str(path), "--portal", f"http://127.0.0.1:{port}")
    uris = {uri for kind, uri, *_r in read(path) if kind == "response"}
    assert f"http://127.0.0.1:{port}/" in uris and f"http://127.0.0.1:{port}/en/" in uris
