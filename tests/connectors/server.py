"""A small HTTP server on loopback that answers the connectors' requests from fixture files:
recorded GBIF responses (VCR cassettes), JSON files by path and query, and handlers that page
through a fixture. It can also fail on purpose (an HTTP status, a body that is not JSON, a
connection cut mid-answer) to exercise the clients' error handling. The clients under test make
real HTTP requests to it; nothing is mocked."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Query = tuple[tuple[str, str], ...]
Handler = Callable[[dict[str, str]], tuple[int, bytes]]


def _key(query: str) -> Query:
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[tuple[str, Query], tuple[int, bytes]] = {}
        self.handlers: dict[str, Handler] = {}
        # path → what the next requests get instead: an HTTP status, "notjson" or "drop".
        self.faults: dict[str, list[int | str]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add_cassette(self, name: str) -> None:
        """Serve every interaction of a VCR cassette at its path (host dropped) and query."""
        cassette = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
        for interaction in cassette["interactions"]:
            uri = urlsplit(interaction["request"]["uri"])
            response = interaction["response"]
            body = response["body"]["string"]
            data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
            self.routes[(uri.path, _key(uri.query))] = (response["status"]["code"], data)

    def add_file(self, path: str, query: str, name: str) -> None:
        self.routes[(path, _key(query))] = (200, (FIXTURES / name).read_bytes())

    def answer(self, path: str, query: str, body: bytes, status: int = 200) -> None:
        self.routes[(path, _key(query))] = (status, body)


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        self.server.requests.append((url.path, params))
        faults = self.server.faults.get(url.path)
        if faults:
            fault = faults.pop(0)
            if fault == "drop":
                body = b'{"count": 12, "results": [{"id": 1, "title": "cut sh'
                self._send(200, body + b" " * 200, length=len(body) + 400)
                self.close_connection = True
                return
            if fault == "notjson":
                self._send(200, b"<html><body>Service temporarily unavailable</body></html>")
                return
            assert isinstance(fault, int)
            self._send(fault, json.dumps({"error": f"status {fault}"}).encode())
            return
        route = self.server.routes.get((url.path, _key(url.query)))
        if route is None and url.path in self.server.handlers:
            route = self.server.handlers[url.path](params)
        if route is None:
            route = (404, json.dumps({"error": "not found", "path": self.path}).encode())
        self._send(*route)

    def _send(self, status: int, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@contextmanager
def loopback_server() -> Iterator[LoopbackServer]:
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
