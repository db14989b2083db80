"""Fixtures for the browser tests: a headless Debian Chromium driven by Playwright.

Playwright never downloads a browser here: it drives the Chromium named by ``CHROMIUM_PATH``
or found on ``PATH`` (Debian's ``chromium`` package), and the tests are skipped without one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def compiled_messages() -> None:
    """The pages are checked in French and Arabic, so the catalogs must be compiled
    (``make messages`` does it; this covers a bare ``pytest`` run)."""
    from django.utils.translation import trans_real

    catalogs = sorted(Path(settings.LOCALE_PATHS[0]).glob("*/LC_MESSAGES/django.po"))
    stale = [
        po
        for po in catalogs
        if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if not stale:
        return
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (Debian package gettext) is needed to compile the message catalogs")
    for po in stale:
        subprocess.run(
            ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True
        )
    # Catalogs loaded before compiling would hide the new translations.
    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    executable = chromium_path()
    if not executable:
        pytest.skip("Chromium not found: install Debian's chromium package or set CHROMIUM_PATH")
    sync_api = pytest.importorskip("playwright.sync_api")
    request.getfixturevalue("compiled_messages")
    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls
    # (fixtures, database checks) are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
