"""The course as a book (``make book``): read in headless Chromium with nothing but local files.

Run by ``make test-book`` (pytest ``-m book``; plain ``pytest`` leaves these out). The book is
built once if build/book/ is missing; ``make test-book`` builds it first (unchanged notebooks are
not executed again). Every chapter page must load with its figures (each with a text
alternative), its math typeset by the bundled MathJax, no error output, internal links that
resolve, and no request leaving the machine.
"""
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from chromium import Offline, browser  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.book

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "build" / "book"
EXECUTED = ROOT / "build" / "executed"
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def book():
    if not (BOOK / "index.html").exists():
        subprocess.run([sys.executable, str(ROOT / "book" / "editions.py"), "book"], check=True, cwd=ROOT)
    return BOOK


@pytest.fixture
def page(browser):
    context = browser.new_context()
    offline = Offline(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.offline, page.errors = offline, errors
    yield page
    context.close()


def _open(page, url):
    page.goto(url.as_uri() if isinstance(url, Path) else url)
    page.wait_for_load_state("load")
    # Pages with math load MathJax, which typesets after the page has loaded; its startup
    # promise settles when it is done.
    if page.locator("script[src*='mathjax']").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20_000)
        page.evaluate("() => MathJax.startup.promise")


def _image_outputs(chapter):
    nb = json.loads((EXECUTED / f"{chapter}.ipynb").read_text())
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def _check_links(page_path, hrefs):
    """Each internal link of the page names an existing file, and an anchor that exists in it."""
    broken = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme in ("http", "https", "mailto") or href.startswith("javascript:"):
            continue
        target = page_path if not parts.path else Path(unquote(parts.path))
        if parts.scheme == "file":
            target = Path(unquote(parts.path))
        elif parts.path:
            target = (page_path.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} (no file {target})")
        elif parts.fragment and target.suffix == ".html":
            ids = set(re.findall(r'\sid="([^"]+)"', target.read_text()))
            if unquote(parts.fragment) not in ids:
                broken.append(f"{href} (no anchor #{parts.fragment} in {target.name})")
    return broken


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_reads_offline_with_figures_math_and_no_errors(book, page, chapter):
    path = book / "notebooks" / f"{chapter}.html"
    assert path.is_file(), f"{chapter} is missing from the book"
    _open(page, path)

    article = page.locator("article.bd-article")
    assert article.locator("h1").count() == 1, f"{chapter}: a chapter page has one title"

    images = page.evaluate("""() => [...document.querySelectorAll('article img')].map(i => ({
        src: i.getAttribute('src'), alt: i.getAttribute('alt') || '', loaded: i.complete && i.naturalWidth > 0}))""")
    assert len(images) >= _image_outputs(chapter), f"{chapter}: figures of the notebook are missing"
    assert [i["src"] for i in images if not i["loaded"]] == [], f"{chapter}: figures that do not load"
    assert [i["src"] for i in images if len(i["alt"].strip()) < 5] == [], f"{chapter}: figures without alt text"

    # Math is typeset (MathJax leaves <mjx-container>) and no TeX source is left in the prose.
    text = page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
        a.querySelectorAll('pre, code, .cell_input, mjx-container, script').forEach(e => e.remove());
        return a.innerText; }""")
    for raw in ("$$", "\\frac", "\\begin{", "\\mathbf"):
        assert raw not in text, f"{chapter}: unrendered math {raw!r} near ...{text[max(0, text.find(raw) - 60):text.find(raw) + 60]}..."
    notebook = (ROOT / "notebooks" / f"{chapter}.ipynb").read_text()
    if "$" in notebook:
        assert page.locator("mjx-container").count() > 0, f"{chapter}: the notebook has math but none was typeset"
    assert page.locator("mjx-merror, [data-mjx-error]").count() == 0, f"{chapter}: MathJax reports a TeX error"

    # No error output: no traceback, no failed widget, no output of type error.
    assert page.locator(".output.traceback, .output.error").count() == 0, f"{chapter}: an error output is shown"
    body = page.locator("article").inner_text()
    assert "Traceback (most recent call last)" not in body and "Error displaying widget" not in body

    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
    assert _check_links(path, hrefs) == [], f"{chapter}: broken internal links"

    assert page.errors == [], f"{chapter}: JavaScript errors {page.errors}"
    assert page.offline.outside == [], f"{chapter}: requests that would leave the machine"
    assert page.offline.failed == [], f"{chapter}: requests that failed"


def test_index_lists_every_chapter_in_order(book, page):
    _open(page, book / "index.html")
    hrefs = page.evaluate("() => [...document.querySelectorAll('article .toctree-wrapper a')].map(a => a.getAttribute('href'))")
    assert [Path(urlsplit(h).path).stem for h in hrefs] == CHAPTERS
    sidebar = page.evaluate("() => [...document.querySelectorAll('nav.bd-docs-nav a')].map(a => a.getAttribute('href'))")
    assert {Path(urlsplit(h).path).stem for h in sidebar} >= set(CHAPTERS), "the table of contents misses chapters"
    assert _check_links(book / "index.html", hrefs + sidebar) == []
    assert page.offline.outside == [] and page.errors == []


@pytest.fixture(scope="module")
def served(book):
    """The book served on 127.0.0.1, as a reader's own ``python -m http.server`` would."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(book))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _search(page, url):
    page.goto(url)
    results = page.locator("#search-results li a")
    results.first.wait_for(timeout=20_000)
    return {Path(urlsplit(h).path).stem for h in results.evaluate_all("els => els.map(e => e.getAttribute('href'))")}


def test_search_finds_a_chapter_offline(book, served, page):
    # Served, results come with a snippet of each page.
    assert "06_backpropagation" in _search(page, f"{served}/search.html?q=backpropagation")
    page.locator("#search-results li p.context").first.wait_for(timeout=20_000)
    assert page.offline.outside == [] and page.errors == []
    # Opened from disk, the browser lets no script read other files, so the results come without
    # snippets (each failed read is reported as an error); the results themselves are there.
    assert "06_backpropagation" in _search(page, (book / "search.html").as_uri() + "?q=backpropagation")
    assert set(page.errors) <= {"Failed to fetch"} and page.offline.outside == []


def test_solutions_are_collapsed_and_revealed_on_click(book, page):
    _open(page, book / "notebooks" / f"{CHAPTERS[1]}.html")
    solutions = page.locator("details.hide:has(summary:has-text('Show solution'))")
    n = solutions.count()
    expected = sum("solution" in c["metadata"].get("tags", [])
                   for c in json.loads((ROOT / "notebooks" / f"{CHAPTERS[1]}.ipynb").read_text())["cells"])
    assert n == expected > 0
    first = solutions.first.element_handle()  # this one element, whatever its summary says next
    assert not first.evaluate("d => d.open") and not first.query_selector(".cell_input").is_visible()
    first.query_selector("summary").click()
    assert first.evaluate("d => d.open") and first.query_selector(".cell_input").is_visible()
    assert "_solution" in first.query_selector(".cell_input").inner_text()  # the solution's own names


def test_the_figure_check_lists_figures_without_title_or_axis_labels(book):
    report = json.loads((ROOT / "build" / "figure-check.json").read_text())
    lines = [f"{nb} cell {cell}: {'; '.join(problems)}" for nb, entries in report.items() for cell, problems in entries]
    assert lines == [], "figures without a title or axis labels:\n" + "\n".join(lines)
