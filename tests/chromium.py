"""Headless Chromium for the browser tests (the book, the widgets in JupyterLab), offline.

Debian's ``chromium`` is driven by the ``playwright`` package; playwright's own browser download
cannot work without the network, so the system browser is launched by path. Every request the page
makes is checked by :class:`Offline`: one to anything but a local file or this machine's loopback
is refused and recorded, so a test can assert that nothing left the machine.
"""
import os
import shutil
from urllib.parse import urlsplit

import pytest

ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def executable():
    """The Chromium to drive: $CHROMIUM, else ``chromium`` on the PATH; a clear error if neither."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("these tests need Chromium: `apt-get install -y chromium` (Debian), or set CHROMIUM=/path")
    return path


def launch(playwright):
    return playwright.chromium.launch(executable_path=executable(), headless=True, args=ARGS)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (import this fixture into the module that uses it)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        yield browser
        browser.close()


class Offline:
    """Route every request of a browser context: local ones go through, others are aborted and kept
    in ``self.outside``; requests that fail (a missing file) are kept in ``self.failed``."""

    def __init__(self, context):
        self.outside, self.failed = [], []
        context.route("**/*", self._route)
        context.on("requestfailed", lambda request: self.failed.append(f"{request.url} ({request.failure})"))

    def _route(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data", "blob", "about") or (parts.scheme in ("http", "https", "ws")
                                                                 and parts.hostname in LOCAL_HOSTS):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("internetdisconnected")
