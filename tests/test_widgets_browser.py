"""The widget notebooks in a real JupyterLab, driven in headless Chromium (loopback only).

Run by ``make test-browser`` (pytest ``-m browser``). JupyterLab serves copies of the notebooks
that use ``nnlib.widgets`` from a temporary folder (so autosave never writes outputs into the
repository) on 127.0.0.1. For each: open it, run all cells, then move every slider and change
every drop-down of every playground, and check that its figure is redrawn, that no widget
failed to display and that no cell shows an error. No request may leave the machine.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chromium import Offline, browser  # noqa: F401 (browser is a fixture)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
WIDGET_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if "nnlib.widgets" in p.read_text())
TOKEN = "nnlib-browser-test"
RUN_TIMEOUT_MS = 240_000  # a notebook runs in well under a minute; this only catches a hang


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 with copies of the widget notebooks; yields its base URL."""
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    for path in WIDGET_NOTEBOOKS:
        shutil.copy(path, root / path.name)
    # No "would you like news?" prompt and no update check (they would also fetch from the web).
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("NNLIB_WIDGETS", None)  # live widgets here
    env.pop("MPLBACKEND", None)  # tests/conftest.py sets Agg, which would keep the kernels from showing figures
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = open(home / "server.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start:\n" + (home / "server.log").read_text()[-3000:])
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _figure(interact):
    """The src of the figure a playground's output area shows now ('' while there is none)."""
    # One query in the page: the output is replaced while a redraw arrives.
    return interact.evaluate("el => { const img = el.querySelector('.jp-OutputArea img');"
                             " return img ? img.getAttribute('src') : ''; }")


def _wait_redrawn(page, interact, before, what):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _figure(interact)
        if now and now != before:
            return now
        page.wait_for_timeout(200)
    raise AssertionError(f"the figure was not redrawn after {what}; the playground shows:\n{interact.inner_text()}")


@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_widgets_redraw_in_jupyterlab(lab, browser, notebook):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    offline = Offline(context)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{lab}/lab/tree/{notebook.name}?reset&token={TOKEN}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                               " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=90_000)
        # JupyterLab may ask which kernel to use on a first open: take the one proposed.
        dialog_button = page.locator(".jp-Dialog .jp-mod-accept")
        try:
            dialog_button.wait_for(timeout=3_000)
            dialog_button.click()
        except Exception:  # noqa: BLE001 - no dialog appeared, which is fine
            pass
        page.evaluate("async () => { await window.jupyterapp.shell.currentWidget.sessionContext.ready; }")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_function("""() => {
            const nb = window.jupyterapp.shell.currentWidget;
            const kernel = nb.sessionContext.session && nb.sessionContext.session.kernel;
            const cells = [...nb.content.widgets].filter(c => c.model.type === 'code');
            return kernel && kernel.status === 'idle' && cells.every(c => c.model.executionCount !== null);
        }""", timeout=RUN_TIMEOUT_MS, polling=500)

        interacts = page.locator(".widget-interact")
        assert interacts.count() >= 1, f"{notebook.name}: no playground appeared"
        moved = 0
        for i in range(interacts.count()):
            interact = interacts.nth(i)
            interact.scroll_into_view_if_needed()
            before = _wait_redrawn(page, interact, None, "running the cell")  # its first figure
            sliders = interact.locator(".widget-slider")
            for j in range(sliders.count()):
                slider = sliders.nth(j)
                name = slider.locator(".widget-label").first.inner_text()
                handle = slider.locator(".noUi-handle").first
                # Where the handle sits: its readout and aria value are rounded, its position is not.
                position = slider.locator(".noUi-origin").first
                where = position.get_attribute("style")
                handle.focus()
                for _ in range(3):
                    handle.press("ArrowRight")
                if position.get_attribute("style") == where:  # at the end of its range: the other way
                    for _ in range(6):
                        handle.press("ArrowLeft")
                assert position.get_attribute("style") != where, f"{notebook.name}: slider {name} did not move"
                before = _wait_redrawn(page, interact, before, f"moving slider {name}")
                moved += 1
            dropdowns = interact.locator(".widget-dropdown select")
            for j in range(dropdowns.count()):
                dropdown = dropdowns.nth(j)
                options = dropdown.locator("option").all_inner_texts()
                dropdown.select_option(label=options[-1])
                before = _wait_redrawn(page, interact, before, f"choosing {options[-1]!r}")
                moved += 1
        assert moved >= 2, f"{notebook.name}: found only {moved} controls to move"

        page.wait_for_timeout(500)
        text = page.locator(".jp-Notebook").inner_text()
        assert "Error displaying widget" not in text, f"{notebook.name}: a widget failed to display"
        assert "Traceback (most recent call last)" not in text
        errors_shown = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        shown = [errors_shown.nth(k).inner_text() for k in range(errors_shown.count())]
        assert not any("Error" in s for s in shown), f"{notebook.name}: error output {shown}"
        assert offline.outside == [], f"{notebook.name}: requests that would leave the machine"
        assert errors == [], f"{notebook.name}: JavaScript errors {errors}"
    finally:
        context.close()
