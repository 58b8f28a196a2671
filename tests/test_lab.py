"""The interactive path in headless Chromium: JupyterLab opens a chapter, runs it, and a live
widget redraws its figure when a reader moves it (``make browser-ci``; needs no built book).

The server listens on a free localhost port with a random token that is passed through the
environment, typed into the login form and never written to a URL or to pytest's output (the
server's own log goes to a file that is deleted with its temporary folder).
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import launch_chromium

from lib import book
from lib.paths import REPO

pytestmark = pytest.mark.browser

CHAPTER = "synthetic_spectra"  # the cheapest chapter with a live widget (about 10 s with the ci preset)
START_S, RUN_S, STEP_S = 90, 240, 60  # generous: the test machines are small and often busy


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(folder: Path) -> Path:
    """The chapter's notebook with the ci preset's parameters (live widgets on) injected, as papermill
    would run it, but not executed: JupyterLab runs it."""
    import nbformat
    import papermill

    ((chapter, params),) = book.plan("ci", only=[CHAPTER], overrides=["live_widgets=True"])
    source = folder / "source.ipynb"
    nb = nbformat.read(chapter.source.with_suffix(".ipynb"), as_version=4)
    nb.metadata["kernelspec"] = dict(book.KERNEL)  # this environment's python (the server's own)
    nbformat.write(nb, source)
    target = folder / f"{CHAPTER}.ipynb"
    papermill.execute_notebook(str(source), str(target), parameters=params, prepare_only=True,
                               kernel_name=book.KERNEL["name"], progress_bar=False)  # fmt: skip
    source.unlink()
    return target


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on the prepared chapter; yields (base URL, token); stopped at the end."""
    root = tmp_path_factory.mktemp("lab")
    notebook = _prepare(root)
    home = root / ".jupyter"  # config, data, runtime and settings of this server only
    token, port = secrets.token_hex(24), _free_port()
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)  # the kernel imports this lib
    env = {**os.environ, "JUPYTER_TOKEN": token, "PYTHONPATH": path,
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_PLATFORM_DIRS": "1"}  # fmt: skip
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--ServerApp.root_dir={root}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
               "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               "--LabApp.extension_manager=readonly"] + (["--allow-root"] if os.geteuid() == 0 else [])  # fmt: skip
    log = (root / "server.log").open("w")
    server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with code {server.returncode}:\n{_log(root, token)}")
            try:
                with urllib.request.urlopen(f"{base}/api", timeout=5) as reply:  # needs no token
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {START_S} s:\n{_log(root, token)}")
            time.sleep(0.5)
        yield base, token, notebook.name
    finally:
        _stop(server)
        log.close()
    assert token not in (root / "server.log").read_text(), "the server wrote its token into its log"


def _log(root: Path, token: str) -> str:
    return (root / "server.log").read_text()[-4000:].replace(token, "<token>")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM (the server shuts its kernels down), then SIGKILL for whatever of its group is left."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        server.send_signal(signal.SIGINT)  # a second ^C confirms the shutdown without asking
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
    try:
        os.killpg(server.pid, signal.SIGKILL)  # stray kernels of this server's own process group
    except ProcessLookupError:
        pass
    if server.poll() is None:
        server.kill()
        server.wait(timeout=15)


@pytest.fixture(scope="module")
def chromium():
    yield from launch_chromium(pytest.skip)


_RUN_STATE = """() => ({
    prompts: [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
        .map(e => e.textContent.trim()),
    failed: [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
        .filter(e => e.textContent.includes('Traceback (most recent call last)'))
        .map(e => e.textContent.slice(0, 3000)),
})"""


def _run_all(tab, panel) -> dict:
    """Run → Run All Cells, as a reader does, then poll the prompts until every code cell has its number
    or one failed (Run All stops there). A notebook that has only just opened can ignore the first
    request, so it is repeated while no cell has started."""
    deadline = time.monotonic() + RUN_S
    for _attempt in range(3):
        panel.locator(".jp-CodeCell").nth(1).click()  # the Run menu acts on the notebook that has the focus
        tab.wait_for_timeout(1000)
        tab.locator(".lm-MenuBar-item", has_text="Run").first.click()
        tab.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
        started = time.monotonic()
        while True:
            state = tab.evaluate(_RUN_STATE)
            done = state["prompts"] and all(p[1:-2].isdigit() for p in state["prompts"])
            if done or state["failed"] or time.monotonic() > deadline:
                return state
            if all(p == "[ ]:" for p in state["prompts"]) and time.monotonic() - started > 15:
                break  # nothing started: ask again
            time.sleep(2)
    return state


def test_a_chapter_runs_in_jupyterlab_and_its_live_widget_redraws(chromium, lab):
    from playwright.sync_api import expect

    base, token, name = lab
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(STEP_S * 1000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        tab.goto(f"{base}/login")  # the token goes into the form, never into a URL
        try:
            tab.locator("#password_input").fill(token)
            tab.locator("#login_submit").click()
            tab.wait_for_url(f"{base}/lab**")
        except Exception as err:  # keep the token out of the report
            raise AssertionError(f"login failed: {str(err).replace(token, '<token>')}") from None
        tab.goto(f"{base}/lab/tree/{name}?reset")
        panel = tab.locator(".jp-NotebookPanel")
        indicator = panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
        indicator.wait_for(timeout=START_S * 1000)  # the kernel started and is idle

        state = _run_all(tab, panel)
        assert state["prompts"] and all(p[1:-2].isdigit() for p in state["prompts"]), state
        indicator.wait_for()

        live = panel.locator(".widget-vbox", has=tab.locator(".widget-slider")).first
        title = live.locator(".js-plotly-plot .gtitle")
        expect(title).to_contain_text("Class ", timeout=STEP_S * 1000)
        before = title.text_content()
        slider = live.locator(".widget-slider", has=tab.locator(".widget-label", has_text="class"))
        slider.locator(".widget-readout").click()  # type a class into the slider's readout, as a reader can
        tab.keyboard.press("ControlOrMeta+a")
        tab.keyboard.type("246")
        tab.keyboard.press("Enter")
        expect(title).to_contain_text("Class 246 (3 peaks", timeout=STEP_S * 1000)
        assert title.text_content() != before
    finally:
        context.close()
    assert not errors, "; ".join(errors)
