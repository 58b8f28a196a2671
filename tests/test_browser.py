"""Load every page of the built book in headless Chromium (``make browser-ci``).

Fails on any JavaScript console error or uncaught exception, and on any plotly figure
whose ``<div>`` holds no SVG (a figure that did not draw).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin

import pytest

from lib import book

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site():
    html = os.environ.get("BOOK_HTML")
    if not html:
        pytest.skip("set BOOK_HTML to a built book (make browser-ci does)")
    root = Path(html)
    if not (root / "index.html").is_file():
        pytest.fail(f"no built book at {root} (run: python -m lib book build --preset ci)")
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Debian's chromium is needed for the browser check: apt-get install chromium")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


PAGES = book.toc_files()
# The only thing a page may fetch from elsewhere: MathJax from its CDN (math renders online; our
# test machines are offline, so that request fails here and is not counted as an error).
EXTERNAL_ALLOWED = ("https://cdn.jsdelivr.net/npm/mathjax@3/",)


def _local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_errors_and_every_figure_draws(site, browser, page):
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    external: list[str] = []

    def on_console(msg) -> None:
        url = (msg.location or {}).get("url", "")
        if msg.type == "error" and not url.startswith(EXTERNAL_ALLOWED):
            errors.append(f"console error: {msg.text} ({url})")

    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    tab.on(
        "request",
        lambda req: None if _local(req.url) or req.url.startswith(EXTERNAL_ALLOWED) else external.append(req.url),
    )
    response = tab.goto(f"{site}/{page}.html", wait_until="load")
    assert response is not None and response.ok, f"{page}: HTTP {response.status if response else 'none'}"
    figures = tab.locator("div.plotly-graph-div")
    count = figures.count()
    if count:
        try:
            tab.wait_for_function(
                "() => [...document.querySelectorAll('div.plotly-graph-div')].every(d => d.querySelector('svg'))",
                timeout=20_000,
            )
        except Exception:  # reported below, figure by figure
            pass
    undrawn = [i for i in range(count) if figures.nth(i).locator("svg").count() == 0]
    context.close()
    assert not errors, f"{page}: " + "; ".join(errors)
    assert not external, f"{page}: fetches from outside the book: {external}"
    assert not undrawn, f"{page}: plotly figures {undrawn} of {count} did not draw"


@pytest.mark.parametrize("chapter", [c.rel.as_posix() for c in book.chapters()])
def test_every_chapter_draws_plotly_figures(site, browser, chapter):
    """A renderer that emits no figure at all would pass the check above silently."""
    tab = browser.new_page()
    tab.goto(f"{site}/{chapter}.html", wait_until="load")
    count = tab.locator("div.plotly-graph-div").count()
    tab.close()
    assert count >= 1, f"{chapter}: no plotly figure on the page"


# A figure's state as the page sees it: what each trace shows and the layout's texts.
_STATE = """(gd) => JSON.stringify([
    gd.data.map(t => [t.visible, t.name, t.x, t.y, t.z, t.text]),
    gd.layout.title, gd.layout.annotations, gd.layout.shapes])"""


def _explorers(tab) -> list[int]:
    """Indices of the page's plotly figures that carry a dropdown/buttons menu or a slider."""
    return tab.evaluate(
        """() => [...document.querySelectorAll('div.plotly-graph-div')]
            .map((gd, i) => ((gd.layout.updatemenus || []).length || (gd.layout.sliders || []).length) ? i : -1)
            .filter(i => i >= 0)"""
    )


def _use_one_control(figure) -> None:
    """Select another option the way a reader would: click the second button, or open the dropdown
    and click its second entry, or click the slider's rail near its end."""
    buttons = figure.locator("g.updatemenu-button")
    if buttons.count() > 1:
        buttons.nth(1).click()
        return
    header = figure.locator("g.updatemenu-header-group")
    if header.count():
        header.first.click()
        figure.locator("g.updatemenu-dropdown-button").nth(1).click()
        return
    rail = figure.locator("rect.slider-rail-touch-rect").first
    box = rail.bounding_box()
    rail.click(position={"x": box["width"] * 0.9, "y": box["height"] / 2})


@pytest.mark.parametrize("page", PAGES)
def test_every_static_explorer_responds_to_its_control(site, browser, page):
    """Each figure with a menu or slider (a static explorer) must change when its control is used."""
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.goto(f"{site}/{page}.html", wait_until="load")
    tab.wait_for_function(
        "() => [...document.querySelectorAll('div.plotly-graph-div')].every(d => d.querySelector('svg'))",
        timeout=20_000,
    )
    stuck = []
    for index in _explorers(tab):
        figure = tab.locator("div.plotly-graph-div").nth(index)
        figure.scroll_into_view_if_needed()
        before = figure.evaluate(_STATE)
        _use_one_control(figure)
        tab.wait_for_timeout(300)
        if figure.evaluate(_STATE) == before:
            stuck.append(index)
    tab.close()
    assert not stuck, f"{page}: explorers {stuck} did not change when their control was used"


def test_every_page_has_the_build_footer_and_chapters_offer_their_py_source(site, browser):
    """The footer (version, commit, build date, preset) on every page; a chapter's ``.py`` source
    among its download buttons, and the link serves that source."""
    tab = browser.new_page()
    for page in PAGES:
        text = tab.request.get(f"{site}/{page}.html").text()
        assert text.count('class="build-info"') == 1, f"{page}: no build footer"
    chapter = book.chapters()[0]
    tab.goto(f"{site}/{chapter.rel.as_posix()}.html", wait_until="load")
    footer = tab.locator("p.build-info").inner_text()
    assert re.search(
        r"Version \S+ · commit \S+( \+local changes)? · built \d{4}-\d\d-\d\d \d\d:\d\d UTC · preset \w+", footer
    ), footer
    if book.commit() != "unknown":  # a git checkout: the footer names a commit
        assert re.search(r"commit [0-9a-f]{12}", footer), footer
    href = tab.locator("a.btn-download-py-button").get_attribute("href")
    assert href and href.endswith(f"{chapter.name}.py")
    source = tab.request.get(urljoin(tab.url, href))
    assert source.ok and source.text() == chapter.source.read_text(encoding="utf-8")
    tab.close()
