from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator

import pytest
import torch

from lib.paths import data_file
from lib.synthetic import generator as synthetic


@pytest.fixture(scope="session")
def benchmark_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(data_file("synthetic_benchmark_classes.json"))


@pytest.fixture(scope="session")
def challenge_classes() -> synthetic.ClassSet:
    return synthetic.load_classes(data_file("synthetic_challenge_classes.json"))


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models train faster on one thread, above all on a shared 2-core machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


#: Debian's chromium, headless, kept off the (closed) network: the browser checks and the JupyterLab test.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(on_missing: Callable[[str], None]) -> Iterator:
    """Yield a playwright browser on Debian's chromium (never a downloaded one); where chromium is
    missing, call ``on_missing`` (``pytest.skip`` or ``pytest.fail``) with the reason."""
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        on_missing("Debian's chromium is missing (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
