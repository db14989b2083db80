"""A tiny OAI-PMH "server" that answers with the harvester fixture files (real responses from
other providers, malformed ones included), and can drop the connection mid-answer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.first = "ListRecords.xml"  # the answer to a ListRecords without a token
        self.files: dict[str, bytes] = {}  # extra answers, by name
        self.drops: dict[str, int] = {}  # name → how many times to cut the answer short
        self.requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/oai"

    def answer(self, params: dict[str, str]) -> str:
        verb = params.get("verb", "")
        if verb == "ListRecords":
            return params.get("resumptionToken") or self.first
        return f"{verb}.xml"

    def body(self, name: str) -> bytes | None:
        if name in self.files:
            return self.files[name]
        path = FIXTURES / name
        if path.parent != FIXTURES or not path.is_file():
            return (FIXTURES / "badResumptionToken.xml").read_bytes()
        return path.read_bytes()


class _Handler(BaseHTTPRequestHandler):
    server: FixtureServer

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        params = {k: v[0] for k, v in query.items()}
        self.server.requests.append(params)
        name = self.server.answer(params)
        body = self.server.body(name) or b""
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.drops.get(name, 0) > 0:
            self.server.drops[name] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
